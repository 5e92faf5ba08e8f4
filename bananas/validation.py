"""What an accuracy may be, checked once where data enters: tables, logs and evaluator results."""

from __future__ import annotations

import math
from typing import Any

ACCURACIES = ("valid_acc", "test_acc")  # the metrics every evaluation reports, in percent


def accuracy_problem(value: Any) -> str | None:
    """Return why ``value`` is no accuracy in percent (a real number in 0..100), or None if it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number"
    if not math.isfinite(value) or not 0 <= value <= 100:
        return f"{value!r} is not an accuracy in percent (0 to 100)"
    return None


def metrics_problem(metrics: Any) -> str | None:
    """Return why ``metrics`` is no evaluation's metrics (an object whose accuracies are percentages)."""
    if not isinstance(metrics, dict):
        return f"metrics {metrics!r} is not an object"
    for name in ACCURACIES:
        problem = name in metrics and accuracy_problem(metrics[name])
        if problem:
            return f"{name} {problem}"
    return None
