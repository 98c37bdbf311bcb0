"""Fixtures of the sandbox tests."""

from __future__ import annotations

import os
import sys

# the helper modules sit next to the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
