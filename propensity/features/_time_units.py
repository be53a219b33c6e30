"""The units of event time, shared by the event index and its compiled kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["DAY_US", "NO_EVENT"]

NO_EVENT = np.iinfo(np.int64).min  # "no event" in the last and first arrays
DAY_US = 86_400_000_000  # a day in microseconds, the unit of every timestamp here
