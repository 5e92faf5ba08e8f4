"""Several objectives: Pareto sets, hypervolume, and the BoTorch acquisition that grows the front.

Letters: ``n`` candidates, ``o`` observed architectures, ``p`` pending ones,
``d`` features, ``s`` ensemble members, ``m`` objectives, ``q`` picks.
Objectives are oriented so that higher is better (a minimized metric enters
negated). One predictor is fit per objective; member ``i`` of every
objective's ensemble together make one joint posterior sample.

The acquisition is BoTorch's ``qLogNoisyExpectedHypervolumeImprovement``
over the ensemble (``bananas._botorch``): the observed Pareto set is its
baseline, pending architectures are ``X_pending``, and
``optimize_acqf_discrete`` picks from the candidate pool. Objectives are
scaled to [0, 1] by the observed range, the reference point sits 10 % of
the range below the worst observed value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bananas.acquisition import Selection
from bananas.predictors import Predictor

REF_MARGIN = 0.1  # the reference point: this share of each objective's observed range below its worst


def non_dominated(Y: np.ndarray) -> np.ndarray:
    """Return the boolean mask of the rows of the ``n x m`` array ``Y`` that no other row dominates
    (BoTorch's ``is_non_dominated``; equal rows are all kept)."""
    import torch
    from botorch.utils.multi_objective.pareto import is_non_dominated

    Y = np.asarray(Y, dtype=np.float64)
    if not len(Y):
        return np.zeros(0, dtype=bool)
    return is_non_dominated(torch.as_tensor(Y), deduplicate=False).numpy()


def pareto_order(Y: np.ndarray) -> np.ndarray:
    """Return the row indices of ``Y`` front by front (non-dominated sorting); within a front, by the mean
    of the objectives scaled to their range, best first."""
    Y = np.asarray(Y, dtype=np.float64)
    span = np.ptp(Y, axis=0)
    score = ((Y - Y.min(axis=0)) / np.where(span > 0, span, 1.0)).mean(axis=1)
    left, order = np.arange(len(Y)), []
    while len(left):
        front = left[non_dominated(Y[left])]
        order.extend(front[np.argsort(-score[front], kind="stable")])
        left = np.setdiff1d(left, front)
    return np.asarray(order, dtype=np.int64)


def hypervolume(Y: np.ndarray, ref: Sequence[float]) -> float:
    """Return the hypervolume that the rows of ``Y`` dominate above the reference point ``ref``."""
    import torch
    from botorch.utils.multi_objective.hypervolume import Hypervolume

    Y = np.asarray(Y, dtype=np.float64)
    above = Y[(Y > np.asarray(ref)).all(axis=1)]
    if not len(above):
        return 0.0
    front = torch.as_tensor(above[non_dominated(above)])
    return float(Hypervolume(torch.as_tensor(ref, dtype=torch.float64)).compute(front))


class JointPredictor:
    """One predictor per objective, predicting together: ``predict`` gives ``s x n x m``."""

    def __init__(self, make: Callable[[int], Predictor], m: int) -> None:
        self.members = [make(j) for j in range(m)]

    def fit(self, X: np.ndarray, Y: np.ndarray) -> JointPredictor:
        for j, predictor in enumerate(self.members):
            predictor.fit(X, Y[:, j])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.stack([p.predict(X) for p in self.members], axis=-1)


def select_hypervolume(
    model: JointPredictor,
    X_pool: np.ndarray,
    q: int,
    *,
    Y_observed: np.ndarray,
    X_front: np.ndarray,
    X_pending: np.ndarray | None = None,
) -> Selection:
    """Pick ``min(q, n)`` distinct rows of the ``n x d`` pool by qLogNEHVI (see the module docstring).

    ``Y_observed``: ``o x m`` observed values (they set the scale and the reference point);
    ``X_front``: features of the observed Pareto set (the baseline).
    """
    import torch
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.optim import optimize_acqf_discrete

    from bananas._botorch import MemberSampler, TableEnsembleModel

    n = len(X_pool)
    parts = [X_pool, X_front] + ([X_pending] if X_pending is not None and len(X_pending) else [])
    members = model.predict(np.concatenate(parts))  # s x (n + f + p) x m
    low, high = Y_observed.min(axis=0), Y_observed.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    table = torch.as_tensor((members - low) / span, dtype=torch.float64)
    index = lambda a, b: torch.arange(a, b, dtype=torch.float64).unsqueeze(-1)  # noqa: E731
    acqf = qLogNoisyExpectedHypervolumeImprovement(
        TableEnsembleModel(table),
        ref_point=torch.full((table.shape[-1],), -REF_MARGIN, dtype=torch.float64),
        X_baseline=index(n, n + len(X_front)),
        sampler=MemberSampler(table.shape[0]),
        prune_baseline=False,
        cache_root=False,
    )
    if table.shape[1] > n + len(X_front):
        acqf.set_X_pending(index(n + len(X_front), table.shape[1]))
    with torch.no_grad():
        picked, values = optimize_acqf_discrete(acqf, q=min(q, n), choices=index(0, n), unique=True)
    idx = picked[:, 0].long().numpy()
    first = members[:, idx, 0]  # the first objective's prediction, as recorded for one objective
    return Selection(idx, first.mean(axis=0), first.std(axis=0), values.numpy().astype(np.float64).reshape(-1))


def as_rows(values: Sequence[Any]) -> np.ndarray:
    """Return observed values as an ``o x m`` array (one objective: a column)."""
    return np.asarray(values, dtype=np.float64).reshape(len(values), -1)
