"""Acquisition through BoTorch: the predictor's ensemble is the posterior.

Letters: ``b`` batch of candidate sets, ``q`` points per set, ``n`` candidates,
``d`` features, ``s`` ensemble members.

The ensemble's predictions on the pool become a BoTorch ``EnsembleModel``;
BoTorch's Monte-Carlo acquisition functions read each member as one
posterior sample (an ``IndexSampler`` that enumerates the members), and
``optimize_acqf_discrete`` picks a q-batch greedily from the candidate pool,
each pick added as pending. Because the members are whole functions, a
candidate whose members agree with an earlier pick adds little joint
improvement, so the batch spreads over the members' disagreement instead of
piling on near-duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ACQUISITIONS = ("ei", "ucb", "pi", "its", "random")
DEFAULT_ACQUISITION = "ei"


@dataclass
class Selection:
    """The chosen candidates: indices into the pool, and per pick the
    ensemble mean, std and the acquisition value when it was picked."""

    indices: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    value: np.ndarray


def _member_sampler(n_members: int) -> Any:
    import torch
    from botorch.sampling.index_sampler import IndexSampler

    class MemberSampler(IndexSampler):
        """An ``IndexSampler`` whose samples are the members themselves, each once.

        BoTorch's ``IndexSampler`` draws members at random per candidate; with a
        small ensemble that adds noise and wastes work. Enumerating the ``s``
        members gives the exact ensemble expectation with ``s`` samples.
        """

        def _construct_base_samples(self, posterior: Any) -> None:
            shape = self.sample_shape + posterior.batch_shape
            if self.base_samples is None or self.base_samples.shape != shape:
                idx = torch.arange(n_members, device=posterior.device)
                self.register_buffer("base_samples", idx.view(-1, *[1] * len(posterior.batch_shape)).expand(shape))

    return MemberSampler(torch.Size([n_members]))


def _ensemble_model(members: Any) -> Any:
    from botorch.models.ensemble import EnsembleModel

    class TableEnsembleModel(EnsembleModel):
        """Member predictions looked up by row: ``X[..., 0]`` indexes the ``s x n`` table ``members``."""

        def __init__(self) -> None:
            super().__init__()
            self._num_outputs = 1

        def forward(self, X):  # noqa: ANN001, ANN202
            """A ``b x q x 1`` tensor of row indices to the ``b x s x q x 1`` member predictions."""
            return members[:, X[..., 0].long()].movedim(0, -2).unsqueeze(-1)

    return TableEnsembleModel()


def select(
    predictor: Any,
    X_pool: np.ndarray,
    q: int,
    *,
    acquisition: str = DEFAULT_ACQUISITION,
    best_f: float,
    X_pending: np.ndarray | None = None,
    rng: np.random.Generator,
    ucb_beta: float = 4.0,
) -> Selection:
    """Pick ``q`` rows of the ``n x d`` pool ``X_pool`` to evaluate next.

    Args:
        predictor: a fitted predictor (its ``predict`` gives ``s x n``); unused for ``"random"``.
        acquisition: ``"ei"`` (qLogEI), ``"ucb"`` (qUCB), ``"pi"`` (qPI), ``"its"``
            (independent Thompson sampling: per candidate, one draw from a normal with
            the ensemble's mean and std), ``"random"`` (no model).
        best_f: best value observed so far (for EI and PI).
        X_pending: ``p x d`` features of architectures under evaluation elsewhere.
        rng: the caller's generator (for ``"its"`` and ``"random"``).
    """
    if acquisition not in ACQUISITIONS:
        raise ValueError(f"unknown acquisition {acquisition!r}; choose one of {', '.join(ACQUISITIONS)}")
    n = len(X_pool)
    q = min(q, n)
    if acquisition == "random":
        idx = rng.choice(n, size=q, replace=False)
        nan = np.full(q, np.nan)
        return Selection(idx, nan, nan, nan)
    members = predictor.predict(X_pool)  # s x n
    mean, std = members.mean(axis=0), members.std(axis=0)
    n_pending = 0 if X_pending is None else len(X_pending)
    if acquisition == "its":
        draws = mean + std * rng.standard_normal(n)
        idx = np.argsort(-draws)[:q]
        return Selection(idx, mean[idx], std[idx], draws[idx])
    if n_pending:
        members = np.concatenate([members, predictor.predict(X_pending)], axis=1)
    idx, values = _botorch_select(members, q, acquisition, best_f, n_pending, ucb_beta)
    return Selection(idx, mean[idx], std[idx], values)


def _botorch_select(
    members: np.ndarray,
    q: int,
    acquisition: str,
    best_f: float,
    n_pending: int,
    ucb_beta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy q-batch over the pool through BoTorch.

    ``members`` is ``s x (n + p)``: the pool's predictions, then the pending
    architectures'. Each point enters BoTorch as its column index (an exact
    integer feature), so the model is a table lookup and every greedy step of
    ``optimize_acqf_discrete`` costs ``O(n q s)``, whatever the encoding's width.
    """
    import torch
    from botorch.acquisition import (
        qLogExpectedImprovement,
        qProbabilityOfImprovement,
        qUpperConfidenceBound,
    )
    from botorch.optim import optimize_acqf_discrete

    table = torch.as_tensor(members, dtype=torch.float64)
    n = table.shape[1] - n_pending
    model = _ensemble_model(table)
    sampler = _member_sampler(table.shape[0])
    if acquisition == "ei":
        acqf: Any = qLogExpectedImprovement(model, best_f=best_f, sampler=sampler)
    elif acquisition == "pi":
        acqf = qProbabilityOfImprovement(model, best_f=best_f, sampler=sampler)
    else:
        acqf = qUpperConfidenceBound(model, beta=ucb_beta, sampler=sampler)
    if n_pending:
        acqf.set_X_pending(torch.arange(n, n + n_pending, dtype=torch.float64).unsqueeze(-1))
    choices = torch.arange(n, dtype=torch.float64).unsqueeze(-1)
    with torch.no_grad():
        picked, values = optimize_acqf_discrete(acqf, q=q, choices=choices, unique=True)
    return picked[:, 0].long().numpy(), values.numpy().astype(np.float64).reshape(-1)
