"""What a search step reads and returns: the history of evaluated architectures, and the proposal."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bananas.pareto import as_rows, pareto_order
from bananas.spaces import Arch


@dataclass
class History:
    """What a proposal may read: evaluated architectures with their values (higher is
    better, in trial order), those under evaluation, and the canonical keys never to
    propose again (evaluated, running, failed in evaluation, or interrupted and retried)."""

    archs: list[Arch] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)  # floats, or tuples with several objectives
    pending: list[Arch] = field(default_factory=list)
    seen: set[Hashable] = field(default_factory=set)
    violations: list[tuple[float, ...]] = field(default_factory=list)  # per evaluated arch, with constraints
    exact: dict[int, Callable[[Arch], float]] = field(default_factory=dict)  # outcomes known from the arch

    @property
    def n_objectives(self) -> int:
        return len(self.values[0]) if self.values and isinstance(self.values[0], tuple) else 1

    @property
    def n_constraints(self) -> int:
        return len(self.violations[0]) if self.violations else 0

    def outcomes(self) -> np.ndarray:
        """The ``o x (m + k)`` outcomes: objective values (higher is better), then violations."""
        Y = as_rows(self.values)
        if self.n_constraints:
            V = np.asarray(self.violations, dtype=np.float64)
            finite = np.isfinite(V)
            worst = np.where(finite, V, -np.inf).max(axis=0, initial=0.0)
            Y = np.hstack([Y, np.where(finite, V, worst + 1.0)])  # a metric never recorded: the worst seen
        return Y

    def feasible(self) -> np.ndarray:
        """Which evaluated architectures meet every constraint."""
        if not self.n_constraints:
            return np.ones(len(self.archs), dtype=bool)
        return np.asarray((np.asarray(self.violations) <= 0).all(axis=1))

    def best_first(self) -> list[Arch]:
        """Return the evaluated architectures sorted from best to worst (several objectives: front by front),
        feasible ones first, then the others by how far they miss."""
        Y, ok = as_rows(self.values), self.feasible()
        rows = np.flatnonzero(ok)
        order = list(rows[pareto_order(Y[rows]) if self.n_objectives > 1 else np.argsort(-Y[rows, 0], kind="stable")])
        if not ok.all():
            missed = np.flatnonzero(~ok)
            miss = np.clip(self.outcomes()[missed, self.n_objectives :], 0, None).sum(axis=1)
            order += list(missed[np.argsort(miss, kind="stable")])
        return [self.archs[i] for i in order]

    @property
    def joint(self) -> bool:
        """Whether a proposal weighs several outcomes (objectives or constraints)."""
        return self.n_objectives > 1 or self.n_constraints > 0


@dataclass
class Proposal:
    """The architecture to evaluate and what to record about the choice (``iteration``, and for model
    picks ``pred_mean``, ``pred_std``, ``acq_value``, and on the pick that fit ``bo_seconds``, and
    ``fit_seconds`` of it in the fit: pool, encoding, model fit, predictions of the pool)."""

    arch: Arch
    attrs: dict[str, Any] = field(default_factory=dict)
