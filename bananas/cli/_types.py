"""The types of the command's flags: each reads its text or fails with the parser's one-line error."""

from __future__ import annotations

import argparse
import math
from typing import Any


def _int_at_least(low: int) -> Any:
    """Return an argparse type that reads an integer >= ``low``."""
    kind = "positive" if low == 1 else "non-negative" if low == 0 else f">= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {value}")
        return value

    return parse


positive_int = _int_at_least(1)
nonneg_int = _int_at_least(0)


def positive_float(text: str) -> float:
    """Read a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def simulated_cost(text: str) -> float | tuple[float, float]:
    """Read ``SECONDS`` or ``LOW-HIGH``."""
    try:
        low, _, high = text.partition("-")
        cost = (float(low), float(high)) if high else float(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or LOW-HIGH, e.g. 2 or 0.1-0.5, got {text!r}") from None
    if min(cost if isinstance(cost, tuple) else (cost,)) < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return cost


def space_name(text: str) -> str:
    """A registered space or ``PATH.py:NAME``; the parser's one-line error otherwise."""
    from bananas.spaces import SPACES

    if text in SPACES or text.partition(":")[0].endswith(".py"):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown space {text!r}; choose one of {', '.join(SPACES)}, or PATH.py:NAME (a Space in your own file)"
    )


def objectives(text: str) -> list[str]:
    """``valid_acc,latency``: the parser's one-line error otherwise."""
    from bananas.objectives import parse_objectives

    try:
        return parse_objectives(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def constraint(text: str) -> str:
    """``params_m<=0.5``: the parser's one-line error otherwise."""
    from bananas.objectives import Constraint

    try:
        return str(Constraint.parse(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
