"""What a search optimizes: its objectives (recorded metrics, each with its direction) and its
constraints on recorded metrics.

A search maximizes ``valid_acc``; with several objectives it searches the Pareto front of
``valid_acc`` and costs such as ``latency``, ``params_m`` or ``flops_m``. A metric's direction
follows from its name: accuracies (``*_acc``) up, everything else down. A constraint
``METRIC<=BOUND`` (or ``>=``) holds a recorded metric to a limit; its violation
(``value - bound``, or ``bound - value``) is at most 0 where it holds, the form of Optuna's
``constraints_func`` and BoTorch's outcome constraints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OBJECTIVE = "valid_acc"  # what every search maximizes first
ALIASES = {"params": "params_m", "flops": "flops_m", "accuracy": "valid_acc"}
_METRIC = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def metric(name: str) -> str:
    """Return the recorded metric a name means (``params`` is ``params_m``, ``flops`` is ``flops_m``)."""
    name = name.strip()
    return ALIASES.get(name, name)


def maximized(name: str) -> bool:
    """Whether a metric is maximized: accuracies (``*_acc``) are; costs are minimized."""
    return name.endswith("_acc")


def direction(name: str) -> str:
    """Return Optuna's direction of a metric: ``"maximize"`` or ``"minimize"``."""
    return "maximize" if maximized(name) else "minimize"


def parse_objectives(text: str | Sequence[str]) -> list[str]:
    """Return the objectives of ``valid_acc,latency`` (or a list of names); ValueError naming the fix."""
    names = [metric(n) for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    bad = [n for n in names if not _METRIC.fullmatch(n)]
    if bad or not names:
        raise ValueError(f"objectives must be metric names, comma-separated, e.g. valid_acc,latency; got {text!r}")
    if names[0] != OBJECTIVE:
        raise ValueError(
            f"the first objective is {OBJECTIVE} (the accuracy a search maximizes), e.g. "
            f"{OBJECTIVE},{','.join(n for n in names if n != OBJECTIVE) or 'latency'}; got {text!r}"
        )
    if len(set(names)) < len(names):
        raise ValueError(f"objectives are named twice in {text!r}; name each once")
    return names


@dataclass(frozen=True)
class Constraint:
    """``metric <= bound`` (or ``>=``) on a recorded metric."""

    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Read ``params_m<=0.5``; ValueError naming the fix."""
        found = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*(\S+)\s*", text)
        try:
            bound = float(found.group(3)) if found else math.nan
        except ValueError:
            bound = math.nan
        if found is None or not math.isfinite(bound):
            raise ValueError(
                f"cannot read constraint {text!r}; write METRIC<=BOUND or METRIC>=BOUND, e.g. params_m<=0.5"
            )
        return cls(metric(found.group(1)), found.group(2), bound)

    def violation(self, value: float) -> float:
        """How far ``value`` is outside the limit: at most 0 where the constraint holds."""
        return value - self.bound if self.op == "<=" else self.bound - value

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.bound:g}"


class Constraints:
    """Constraints on a trial's recorded metrics, as Optuna's ``constraints_func``: a trial in, one
    violation per constraint out (at most 0: it holds). A trial without the metric (one that stopped
    before recording it) violates it (``inf``)."""

    def __init__(self, constraints: Sequence[Constraint | str]) -> None:
        self.items = [c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints]

    def __call__(self, trial: Any) -> list[float]:
        return self.of(trial.user_attrs)

    def of(self, metrics: dict[str, Any]) -> list[float]:
        """The violations of a dict of metrics."""
        return [c.violation(float(metrics[c.metric])) if c.metric in metrics else math.inf for c in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Constraints({[str(c) for c in self.items]!r})"

    def describe(self) -> list[str]:
        """The constraints as text, as a study records them."""
        return [str(c) for c in self.items]


def feasible(violations: Sequence[float]) -> bool:
    """Whether every constraint holds."""
    return all(v <= 0 for v in violations)
