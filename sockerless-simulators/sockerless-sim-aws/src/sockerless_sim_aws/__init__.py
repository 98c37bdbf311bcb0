"""Sockerless AWS simulator: the AWS APIs the ECS and Lambda backends use, really executing workloads."""
