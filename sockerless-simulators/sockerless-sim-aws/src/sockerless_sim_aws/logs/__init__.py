"""CloudWatch Logs: log groups, streams and events (JSON 1.1, target ``Logs_20140328``)."""
