"""Several objectives and constraints: Pareto sets, hypervolume, and the BoTorch acquisitions that grow
the front or the best feasible value.

Letters: ``n`` candidates, ``o`` observed architectures, ``b`` baseline ones, ``p`` pending ones,
``d`` features, ``s`` ensemble members, ``m`` objectives, ``k`` constraints, ``q`` picks.
Objectives are oriented so that higher is better (a minimized metric enters
negated); constraint violations are at most 0 where a constraint holds. The
outcomes of an architecture are its ``m`` objectives then its ``k`` violations.
The outcomes that cost an evaluation are predicted (one MLP ensemble with an
output each); those that follow from the architecture (``Space.known_metrics``:
parameters, FLOPs) are computed exactly. Member ``i``'s outputs make one joint
posterior sample.

The acquisition with ``m >= 2`` is BoTorch's
``qLogNoisyExpectedHypervolumeImprovement`` (the default) or ``qLogNParEGO`` (a
random Chebyshev scalarization per pick); the observed feasible Pareto set is
the baseline of both. With one objective and constraints it is
``qLogExpectedImprovement`` over the best feasible value. Each runs over the
ensemble (``bananas._botorch``) with BoTorch's outcome constraints
(feasibility weighs each sample's improvement); pending architectures are
``X_pending``, and ``optimize_acqf_discrete`` picks from the candidate pool. Objectives are
scaled to [0, 1] by the range of the observed Pareto set (qLogNParEGO) or of
every observation (qLogNEHVI, whose reference point then sits 10 % of that
range below the worst observed value of each objective, so that no end of the
front goes uncredited); violations are divided by their observed range.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bananas.acquisition import Selection
from bananas.predictors import Predictor
from bananas.spaces import Arch

MULTI_OBJECTIVE = ("nehvi", "parego")  # acquisitions with several objectives
DEFAULT_MO_ACQUISITION = "nehvi"  # ahead of qLogNParEGO at 100 queries on 9 of 12 benchmarks (docs/benchmarks.md)
REF_MARGIN = 0.1  # qLogNEHVI's reference point: this share of the observed range below the worst value


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
    if not len(Y):
        return np.zeros(0, dtype=np.int64)
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
    """The predictors of every outcome, predicting together: ``predict`` gives ``s x n x (m + k)``.

    The outcomes that cost an evaluation are predicted: by one ensemble with an output per outcome when
    the predictor has ``multi_output`` (the MLP ensemble), else one predictor each. Outcomes in ``exact``
    (index to a function of the architecture) are computed: every member gives the exact value.
    ``encode`` gives the predictors' ``n x d`` inputs of architectures (the BANANAS step's features).
    """

    def __init__(
        self,
        encode: Callable[[Sequence[Arch]], np.ndarray],
        make: Callable[[int], Predictor],
        n: int,
        exact: dict[int, Callable[[Arch], float]],
    ) -> None:
        self.encode = encode
        self.exact = exact
        self.n = n
        predicted = [j for j in range(n) if j not in exact]
        first = make(predicted[0])
        if getattr(first, "multi_output", False):
            self.members = {tuple(predicted): first}
        else:
            self.members = {(j,): first if j == predicted[0] else make(j) for j in predicted}

    def fit(self, X: np.ndarray, Y: np.ndarray) -> JointPredictor:
        for columns, predictor in self.members.items():
            predictor.fit(X, Y[:, list(columns)] if len(columns) > 1 else Y[:, columns[0]])
        return self

    def predict(self, archs: Sequence[Arch], X: np.ndarray | None = None) -> np.ndarray:
        """The members' predictions of ``archs`` (``X``: their features, if already encoded)."""
        X = self.encode(list(archs)) if X is None else X
        out: np.ndarray | None = None
        for columns, predictor in self.members.items():
            predicted = predictor.predict(X)
            if out is None:
                out = np.empty((*predicted.shape[:2], self.n))
            out[..., list(columns)] = predicted if predicted.ndim == 3 else predicted[..., None]
        assert out is not None
        for j, known in self.exact.items():
            out[..., j] = [known(a) for a in archs]
        return out


def select_joint(
    model: JointPredictor,
    pool: Sequence[Arch],
    X_pool: np.ndarray,
    q: int,
    *,
    Y: np.ndarray,
    m: int,
    baseline: Sequence[Arch],
    pending: Sequence[Arch] = (),
    acquisition: str = DEFAULT_MO_ACQUISITION,
    rng: np.random.Generator | None = None,
    pool_members: np.ndarray | None = None,
) -> Selection:
    """Pick ``min(q, n)`` distinct candidates of the pool: qLogNParEGO or qLogNEHVI with ``m >= 2``
    objectives, qLogEI over the best feasible value with one; the outcomes after the first ``m`` are
    constraint violations (see the module docstring).

    ``Y``: ``o x (m + k)`` observed outcomes (they set the scales and the reference point);
    ``baseline``: the observed architectures the improvement is measured against;
    ``pool_members``: the model's predictions of the pool, if already made (``s x n x (m + k)``);
    ``acquisition`` with several objectives: ``"nehvi"``, or ``"parego"``, BoTorch's qLogNParEGO (the
    noisy expected improvement of a Chebyshev scalarization, its weights drawn from ``rng`` per call).
    """
    if acquisition not in MULTI_OBJECTIVE:
        raise ValueError(f"unknown multi-objective acquisition {acquisition!r}; choose {' or '.join(MULTI_OBJECTIVE)}")
    import torch
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
    from botorch.acquisition.multi_objective.parego import qLogNParEGO
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.optim import optimize_acqf_discrete

    from bananas._botorch import MemberSampler, TableEnsembleModel

    n, b = len(pool), len(baseline)
    if pool_members is None:
        pool_members = model.predict(pool, X_pool)
    members = np.concatenate(
        [pool_members] + [model.predict(x) for x in (baseline, pending) if len(x)], axis=1
    )  # s x (n + b + p) x (m + k)
    low, high = Y.min(axis=0), Y.max(axis=0)
    if m > 1 and acquisition == "parego":  # the scale of the observed Pareto set
        front = Y[baseline_rows(Y, m), :m]
        low[:m], high[:m] = np.where(
            front.max(axis=0) > front.min(axis=0), (front.min(axis=0), front.max(axis=0)), (low[:m], high[:m])
        )
    span = np.where(high > low, high - low, 1.0)
    low[m:] = 0.0  # violations keep their sign: at most 0 is feasible
    table = torch.as_tensor((members - low) / span, dtype=torch.float64)
    index = lambda a, c: torch.arange(a, c, dtype=torch.float64).unsqueeze(-1)  # noqa: E731
    model_, sampler = TableEnsembleModel(table), MemberSampler(table.shape[0])
    constraints: Any = [functools.partial(_outcome, i) for i in range(m, table.shape[-1])] or None
    acqf: Any
    if m > 1 and acquisition == "parego":
        weights = (rng or np.random.default_rng()).dirichlet(np.ones(m))
        acqf = qLogNParEGO(
            model_,
            X_baseline=index(n, n + b),
            scalarization_weights=torch.as_tensor(weights, dtype=torch.float64),
            sampler=sampler,
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
            constraints=constraints,
            cache_root=False,
        )
    elif m > 1:
        acqf = qLogNoisyExpectedHypervolumeImprovement(
            model_,
            ref_point=torch.full((m,), -REF_MARGIN, dtype=torch.float64),
            X_baseline=index(n, n + b),
            sampler=sampler,
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
            constraints=constraints,
            prune_baseline=False,
            cache_root=False,
        )
    else:  # the best feasible value observed (none: below every observed one)
        ok = (Y[:, m:] <= 0).all(axis=1)
        best_f = float((Y[ok, 0].max() - low[0]) / span[0]) if ok.any() else -REF_MARGIN
        objective = GenericMCObjective(_first)
        acqf = qLogExpectedImprovement(model_, best_f, sampler, objective=objective, constraints=constraints)
    if pending:
        acqf.set_X_pending(index(n + b, table.shape[1]))
    with torch.no_grad():
        picked, values = optimize_acqf_discrete(acqf, q=min(q, n), choices=index(0, n), unique=True)
    idx = picked[:, 0].long().numpy()
    first = members[:, idx, 0]  # the first objective's prediction, as recorded for one objective
    return Selection(idx, first.mean(axis=0), first.std(axis=0), values.numpy().astype(np.float64).reshape(-1))


def _outcome(i: int, Z: Any) -> Any:
    """Outcome ``i`` of samples ``Z`` (a constraint: at most 0 where it holds)."""
    return Z[..., i]


def _first(Z: Any, X: Any = None) -> Any:
    """The first outcome of samples ``Z``: the objective."""
    return Z[..., 0]


def baseline_rows(Y: np.ndarray, m: int) -> np.ndarray:
    """Return the rows of the observed outcomes ``Y`` (``o x (m + k)``) to measure the hypervolume
    improvement against: the Pareto set of the feasible ones (of all, when none is feasible); none with
    one objective (its improvement is over the best feasible value)."""
    if m == 1:
        return np.zeros(0, dtype=np.int64)
    ok = (Y[:, m:] <= 0).all(axis=1)
    rows = np.flatnonzero(ok) if ok.any() else np.arange(len(Y))
    return rows[non_dominated(Y[rows, :m])]


def as_rows(values: Sequence[Any]) -> np.ndarray:
    """Return observed values as an ``o x m`` array (one objective: a column)."""
    return np.asarray(values, dtype=np.float64).reshape(len(values), -1)
