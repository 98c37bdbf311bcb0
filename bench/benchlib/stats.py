"""Summaries of timing samples."""

from __future__ import annotations

import math
import statistics
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty sample list."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: list[float], unit: str = "s") -> dict[str, Any]:
    """Median, p90, min, max, mean and the raw samples."""
    if not samples:
        raise ValueError("no samples")
    return {
        "unit": unit,
        "n": len(samples),
        "median": statistics.median(samples),
        "p90": percentile(samples, 0.9),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "samples": [round(x, 6) for x in samples],
    }
