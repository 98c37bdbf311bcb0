"""ECS: clusters, task definitions and tasks that really run (JSON 1.1, ``AmazonEC2ContainerServiceV20141113``)."""
