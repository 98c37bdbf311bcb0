"""The classic builder (``docker build``), ``docker commit`` and ``docker diff``."""
