"""Shared by the benchmarks: the median of repeated timings."""

from __future__ import annotations

import statistics
import time


def timed(fn, rounds: int) -> float:
    """Median seconds of `rounds` calls of fn()."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)
