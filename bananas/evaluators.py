"""The Evaluator seam: an architecture in, its metrics (or the reason it failed) out.

``evaluate(arch, on_epoch=None)``: evaluators that train call ``on_epoch(epoch,
valid_acc)`` after each epoch (the search reports it as the trial's
intermediate value); ``on_epoch`` may raise ``StopEvaluation`` to end the
evaluation early, which the evaluator lets through (the Optuna glue turns it
into a pruned trial). ``describe()`` returns the settings a study records, and
``from_description`` builds the evaluator again from them (what a worker does).
The training evaluator is ``bananas.training.TrainingEvaluator``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bananas.spaces import DEFAULT_DATASETS, Arch, Space, TabularSpace, get_tabular_space

OnEpoch = Callable[[int, float], None]
Status = Literal["ok", "fail"]
EVALUATORS = ("table", "train")
TRAINING_DATASET = "digits"  # what the training evaluator trains on by default


@dataclass
class Result:
    """One evaluation: ``metrics`` (``valid_acc`` is the objective, in percent),
    its ``cost`` in seconds, ``status`` ``"ok"`` or ``"fail"`` with a ``reason``."""

    metrics: dict[str, Any] = field(default_factory=dict)
    cost: float = 0.0
    status: Status = "ok"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class EvaluationFailed(Exception):
    """An evaluation that failed; its trial is recorded as FAIL with the reason (user attr ``fail_reason``)."""


class StopEvaluation(Exception):
    """Raised by ``on_epoch`` to end an evaluation early (e.g. a pruner's decision); evaluators pass it on."""


class Evaluator(Protocol):
    """What the search calls to evaluate an architecture."""

    def evaluate(self, arch: Arch, on_epoch: OnEpoch | None = None) -> Result:
        """Return the metrics of ``arch``, or a failed ``Result`` with the reason (never raise for a bad arch)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Return the settings recorded in the study (``kind`` and what ``from_description`` needs)."""
        ...


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
        return {"kind": "table", "simulated_cost": self.simulated_cost}

    def metric_names(self) -> tuple[str, ...]:
        """The metrics every lookup records."""
        import numpy as np

        return tuple(self.space.lookup(self.space.sample(np.random.default_rng(0))))

    def evaluate(self, arch: Arch, on_epoch: OnEpoch | None = None) -> Result:
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


def evaluation_space(kind: str, name: str, dataset: str | None = None, table: str | None = None) -> Space:
    """Return the space an evaluator of ``kind`` works on: with its results table for ``"table"``
    (default dataset per space), a space that builds networks for ``"train"`` (nb201 without its table;
    default dataset: the space's own, else digits). ValueError naming the fix for a combination that cannot work."""
    if kind not in EVALUATORS:
        raise ValueError(f"unknown evaluator {kind!r}; choose one of {', '.join(EVALUATORS)}")
    if kind == "train":
        from bananas.spaces import NB201Space, get_space
        from bananas.training import check_trainable

        if name == "nb201":  # no table: the summary reports accuracies, not regrets
            return NB201Space(dataset or TRAINING_DATASET)
        space = get_space(name, dataset, table)
        check_trainable(space)
        return space
    return get_tabular_space(name, dataset or DEFAULT_DATASETS.get(name, ""), table)


def from_description(
    description: dict[str, Any], space: Space, *, data_dir: str | None = None, device: str | None = None
) -> Evaluator:
    """Return the evaluator ``describe()`` described, on ``space``: a table lookup, or training with the
    recorded settings (``data_dir`` and ``device`` are the local machine's). Raises ValueError (or
    ``bananas.datasets.DataError``) for settings or data that cannot be used."""
    kind = description.get("kind", "table")
    if kind == "table":
        if not isinstance(space, TabularSpace):
            raise ValueError(f"space {space.name!r} on {space.dataset!r} has no results table to look up")
        return TabularEvaluator(space, simulated_cost=description.get("simulated_cost"))
    if kind != "train":
        raise ValueError(f"unknown evaluator {kind!r}; choose one of {', '.join(EVALUATORS)}")
    from dataclasses import fields

    from bananas.training import TrainConfig, TrainingEvaluator

    settings = {f.name: description[f.name] for f in fields(TrainConfig) if f.name in description}
    if device is not None:
        settings["device"] = device
    return TrainingEvaluator(space, space.dataset, data_dir, TrainConfig(**settings))
