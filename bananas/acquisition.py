"""Acquisition functions: which candidates of the pool to evaluate next.

Letters: ``n`` candidates, ``p`` pending architectures, ``d`` features,
``s`` ensemble members, ``q`` picks.

Each acquisition is a small object with ``select(predictor, X_pool, q, ...)``.
The model-based ones read the predictor's ensemble as the posterior: its
``s x n`` predictions become a BoTorch ``EnsembleModel`` (``bananas._botorch``),
BoTorch's Monte-Carlo acquisition reads each member as one posterior sample,
and ``optimize_acqf_discrete`` picks a q-batch greedily from the pool, each
pick added as pending. Because the members are whole functions, a candidate
whose members agree with an earlier pick adds little joint improvement, so the
batch spreads over the members' disagreement instead of piling on
near-duplicates.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bananas.predictors import Predictor


@dataclass
class Selection:
    """The chosen candidates: indices into the pool, and per pick the
    ensemble mean, std and the acquisition value when it was picked."""

    indices: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    value: np.ndarray


class Acquisition(ABC):
    """Picks ``q`` rows of a candidate pool.

    ``uses_model``: whether it reads a fitted predictor (the search fits one only
    then). ``ranks_once_per_fit``: whether one ranking of the whole pool serves
    every pick until the next fit (Thompson sampling draws once per fit).
    ``reads_pending``: whether it accounts for architectures under evaluation.
    """

    uses_model: ClassVar[bool] = True
    ranks_once_per_fit: ClassVar[bool] = False
    reads_pending: ClassVar[bool] = False

    def select(
        self,
        predictor: Predictor | None,
        X_pool: np.ndarray,
        q: int,
        *,
        best_f: float,
        X_pending: np.ndarray | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        """Return ``min(q, n)`` distinct picks from the ``n x d`` pool ``X_pool``.

        Args:
            predictor: a fitted predictor (``predict`` gives ``s x n``); None if not ``uses_model``.
            best_f: the best value observed so far.
            X_pending: ``p x d`` features of architectures under evaluation elsewhere.
            rng: the caller's generator, for acquisitions that draw.
        """
        members = predictor.predict(X_pool) if self.uses_model and predictor is not None else None
        pending = None
        if self.reads_pending and X_pending is not None and len(X_pending):
            assert predictor is not None
            pending = predictor.predict(X_pending)
        return self.choose(members, len(X_pool), q, best_f=best_f, pending=pending, rng=rng)

    def choose(
        self,
        members: np.ndarray | None,
        n: int,
        q: int,
        *,
        best_f: float,
        pending: np.ndarray | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        """``select`` from predictions already made: the ``s x n`` member predictions of the pool (None
        without a model) and the ``s x p`` of the pending architectures (None when there are none)."""
        if self.uses_model:
            assert members is not None, f"{type(self).__name__} needs a fitted predictor"
            mean, std = members.mean(axis=0), members.std(axis=0)
        else:
            members = np.empty((0, n))
            mean = std = np.full(n, np.nan)
        idx, values = self._choose(members, pending if self.reads_pending else None, min(q, n), best_f, rng)
        return Selection(idx, mean[idx], std[idx], values)

    @abstractmethod
    def _choose(
        self, members: np.ndarray, pending: np.ndarray | None, q: int, best_f: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the indices of ``q`` distinct candidates and their acquisition values, from the
        ``s x n`` member predictions of the pool (``s = 0`` without a model) and the ``s x p`` of the
        pending architectures (None when there are none or they are not read)."""


class _BoTorchAcquisition(Acquisition):
    """A BoTorch Monte-Carlo acquisition over the ensemble members, greedy q-batch with pending points."""

    reads_pending = True

    @abstractmethod
    def _build(self, model: Any, sampler: Any, best_f: float) -> Any:
        """Return the BoTorch acquisition function on ``model``."""

    def _choose(
        self, members: np.ndarray, pending: np.ndarray | None, q: int, best_f: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Greedy q-batch over the pool through BoTorch.

        Each point enters BoTorch as its column index into the ``s x (n + p)`` member
        table (an exact integer feature), so the model is a table lookup and every greedy
        step of ``optimize_acqf_discrete`` costs ``O(n q s)``, whatever the encoding's width.
        """
        import torch
        from botorch.optim import optimize_acqf_discrete

        from bananas._botorch import MemberSampler, TableEnsembleModel

        n = members.shape[1]
        if pending is not None:
            members = np.concatenate([members, pending], axis=1)
        table = torch.as_tensor(members, dtype=torch.float64)
        acqf = self._build(TableEnsembleModel(table), MemberSampler(table.shape[0]), best_f)
        if pending is not None:
            acqf.set_X_pending(torch.arange(n, table.shape[1], dtype=torch.float64).unsqueeze(-1))
        choices = torch.arange(n, dtype=torch.float64).unsqueeze(-1)
        with torch.no_grad():
            picked, values = optimize_acqf_discrete(acqf, q=q, choices=choices, unique=True)
        return picked[:, 0].long().numpy(), values.numpy().astype(np.float64).reshape(-1)


class LogExpectedImprovement(_BoTorchAcquisition):
    """qLogEI: the log of the expected improvement over ``best_f`` (the default)."""

    def _build(self, model: Any, sampler: Any, best_f: float) -> Any:
        from botorch.acquisition import qLogExpectedImprovement

        return qLogExpectedImprovement(model, best_f=best_f, sampler=sampler)


class ProbabilityOfImprovement(_BoTorchAcquisition):
    """qPI: the probability of improving on ``best_f``."""

    def _build(self, model: Any, sampler: Any, best_f: float) -> Any:
        from botorch.acquisition import qProbabilityOfImprovement

        return qProbabilityOfImprovement(model, best_f=best_f, sampler=sampler)


class UpperConfidenceBound(_BoTorchAcquisition):
    """qUCB with exploration weight ``beta``."""

    def __init__(self, beta: float = 4.0) -> None:
        self.beta = beta

    def _build(self, model: Any, sampler: Any, best_f: float) -> Any:
        from botorch.acquisition import qUpperConfidenceBound

        return qUpperConfidenceBound(model, beta=self.beta, sampler=sampler)


class ThompsonSampling(Acquisition):
    """Independent Thompson sampling (ITS, as in BANANAS): per candidate one draw from a normal with the
    ensemble's mean and std; the best draws win. One draw per fit ranks the pool for all its picks."""

    ranks_once_per_fit = True

    def _choose(
        self, members: np.ndarray, pending: np.ndarray | None, q: int, best_f: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        draws = members.mean(axis=0) + members.std(axis=0) * rng.standard_normal(members.shape[1])
        idx = np.argsort(-draws)[:q]
        return idx, draws[idx]


class RandomChoice(Acquisition):
    """No model: picks uniformly from the pool (the pool-random baseline)."""

    uses_model = False

    def _choose(
        self, members: np.ndarray, pending: np.ndarray | None, q: int, best_f: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return rng.choice(members.shape[1], size=q, replace=False), np.full(q, np.nan)


ACQUISITIONS: dict[str, Callable[[], Acquisition]] = {
    "ei": LogExpectedImprovement,
    "ucb": UpperConfidenceBound,
    "pi": ProbabilityOfImprovement,
    "its": ThompsonSampling,
    "random": RandomChoice,
}
DEFAULT_ACQUISITION = "ei"


def get_acquisition(acquisition: str | Acquisition) -> Acquisition:
    """Return the acquisition called ``acquisition`` (or the object given); ValueError naming the choices."""
    if isinstance(acquisition, Acquisition):
        return acquisition
    if acquisition not in ACQUISITIONS:
        raise ValueError(f"unknown acquisition {acquisition!r}; choose one of {', '.join(ACQUISITIONS)}")
    return ACQUISITIONS[acquisition]()


def select(
    predictor: Predictor | None,
    X_pool: np.ndarray,
    q: int,
    *,
    acquisition: str | Acquisition = DEFAULT_ACQUISITION,
    best_f: float,
    X_pending: np.ndarray | None = None,
    rng: np.random.Generator,
) -> Selection:
    """Pick ``q`` rows of the pool with the acquisition named in ``ACQUISITIONS`` (see ``Acquisition.select``)."""
    return get_acquisition(acquisition).select(predictor, X_pool, q, best_f=best_f, X_pending=X_pending, rng=rng)
