"""The real-client suites import their shared helpers from ``clienttools``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
