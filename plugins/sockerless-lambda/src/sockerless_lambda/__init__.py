"""Sockerless backend ``lambda``: each container is an AWS Lambda container-image function run by the agent."""
