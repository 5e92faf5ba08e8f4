"""Means and standard errors as every benchmark reports them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stderr(values: Sequence[float] | np.ndarray) -> float:
    """Return the standard error of the mean of ``values`` (0 for fewer than two)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else 0.0


def mean_se(values: Sequence[float] | np.ndarray, digits: int = 3, sign: str = "") -> str:
    """Return ``values``' mean ± standard error, e.g. ``0.671 ± 0.049`` (``sign="+"``: signed mean)."""
    a = np.asarray(values, dtype=np.float64)
    return f"{a.mean():{sign}.{digits}f} ± {stderr(a):.{digits}f}"
