"""The Evaluator seam: an architecture in, its metrics (or the reason it failed) out.

``evaluate(arch, on_epoch=None)``: evaluators that train call ``on_epoch(epoch,
valid_acc)`` after each epoch (the search reports it as the trial's
intermediate value; a pruner may stop the trial there). The training
evaluator is ``bananas.training.TrainingEvaluator``.
"""

from __future__ import annotations

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
    """Looks architectures up in a tabular space's results table."""

    def __init__(self, space: TabularSpace) -> None:
        self.space = space

    def evaluate(self, arch: Any, on_epoch: Any = None) -> Result:
        """Return the table's metrics of ``arch``; a FAIL result if it has no row (``on_epoch``: unused,
        a table has no epochs)."""
        start = time.perf_counter()
        try:
            metrics = self.space.lookup(arch)
        except (KeyError, ValueError) as err:
            return Result(status="fail", reason=f"{type(err).__name__}: {err}")
        return Result(metrics=metrics, cost=time.perf_counter() - start)
