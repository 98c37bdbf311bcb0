"""Sockerless backend ``ecs``: containers as AWS ECS Fargate tasks (see the package README)."""
