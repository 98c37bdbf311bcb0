"""How simulated workloads really run: a local process per container, or a container on a real Docker engine."""
