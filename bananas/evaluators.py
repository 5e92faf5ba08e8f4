"""The Evaluator seam: an architecture in, its metrics (or the reason it failed) out.

``evaluate(arch, on_epoch=None)``: evaluators that train call ``on_epoch(epoch,
valid_acc)`` after each epoch (the search reports it as the trial's
intermediate value; a pruner may stop the trial there). The training
evaluator is ``bananas.training.TrainingEvaluator``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from bananas.spaces import TabularSpace


@dataclass
class Result:
    """One evaluation: ``metrics`` (``valid_acc`` is the objective, in percent),
    its ``cost`` in seconds, ``status`` ``"ok"`` or ``"fail"`` with a ``reason``."""

    metrics: dict[str, Any] = field(default_factory=dict)
    cost: float = 0.0
    status: str = "ok"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class TabularEvaluator:
    """Looks architectures up in a tabular space's results table.

    ``simulated_cost`` (seconds, or a ``(low, high)`` range drawn uniformly per lookup)
    makes each lookup sleep that long, to rehearse runs whose evaluations take time,
    e.g. several workers on one study.
    """

    def __init__(self, space: TabularSpace, simulated_cost: float | tuple[float, float] | None = None) -> None:
        self.space = space
        if isinstance(simulated_cost, list):
            simulated_cost = (simulated_cost[0], simulated_cost[1])
        low, high = simulated_cost if isinstance(simulated_cost, tuple) else (simulated_cost or 0.0,) * 2
        if not 0 <= low <= high:
            raise ValueError(f"simulated_cost must be seconds >= 0 or a range low <= high, got {simulated_cost}")
        self.simulated_cost = simulated_cost

    def describe(self) -> dict[str, Any]:
        """Return the settings recorded in the study (workers rebuild the evaluator from them)."""
        return {"kind": "table", "simulated_cost": self.simulated_cost}

    def evaluate(self, arch: Any, on_epoch: Any = None) -> Result:
        """Return the table's metrics of ``arch``; a FAIL result if it has no row (``on_epoch``: unused,
        a table has no epochs)."""
        start = time.perf_counter()
        cost = self.simulated_cost
        if cost:
            time.sleep(random.uniform(*cost) if isinstance(cost, tuple) else cost)
        try:
            metrics = self.space.lookup(arch)
        except (KeyError, ValueError) as err:
            return Result(status="fail", reason=f"{type(err).__name__}: {err}")
        return Result(metrics=metrics, cost=time.perf_counter() - start)
