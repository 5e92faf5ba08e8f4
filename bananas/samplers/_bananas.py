"""BANANAS as an Optuna sampler: fit the predictor on the study, pick a batch by acquisition."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.acquisition import ACQUISITIONS, DEFAULT_ACQUISITION, Selection, select
from bananas.encodings import DEFAULT_ENCODING, get_encoder
from bananas.pool import candidate_pool
from bananas.predictors import get_predictor
from bananas.samplers._base import History, SpaceSampler
from bananas.spaces import Space


class BananasSampler(SpaceSampler):
    """BANANAS (White et al., 2021): neural-predictor Bayesian optimization over a ``Space``.

    After ``n_startup_trials`` random architectures, every ``batch_size``
    completed trials (of any worker on the study) it fits the predictor on the
    study's completed trials and builds the candidate pool (mutations of the
    best plus random, minus every tried or running architecture). Each trial
    then gets the pool's best candidate by acquisition, with everything the
    model has not seen as BoTorch's ``X_pending``: running trials of any worker
    and architectures evaluated since the fit. In one process the picks of a
    fit are BoTorch's greedy ``batch_size``-batch; with many workers each pick
    also accounts for what the others started meanwhile. ITS draws once per
    candidate and fit, and each trial takes the best-drawn free candidate.
    Each trial gets user attrs ``iteration``, ``pred_mean``, ``pred_std``,
    ``acq_value`` and, on the trial that fit the model, ``bo_seconds`` (fit,
    pool and pick).

    Args:
        space: the search space (objective: ``arch = space.suggest(trial)``).
        seed: seeds the random start, the pool, the predictor and the acquisition.
        n_startup_trials: random architectures before the first model fit.
        batch_size: architectures picked per model fit.
        encoding, predictor, acquisition: names from ``bananas.encodings.ENCODINGS``,
            ``bananas.predictors.PREDICTORS`` and ``bananas.acquisition.ACQUISITIONS``
            (``"random"`` drops the model: the pool-random baseline).
        predictor_options: passed to the predictor's constructor (e.g. ``n_members``).
        pool_kwargs: passed to ``bananas.pool.candidate_pool``.
        initial_design: architecture ids (``space.to_string``) evaluated first in the
            random start, e.g. the best of a search on another dataset (transfer).
    """

    def __init__(
        self,
        *,
        space: Space,
        seed: int | None = None,
        n_startup_trials: int = 10,
        batch_size: int = 10,
        encoding: str = DEFAULT_ENCODING,
        predictor: str = "mlp",
        predictor_options: dict[str, Any] | None = None,
        acquisition: str = DEFAULT_ACQUISITION,
        pool_kwargs: dict[str, Any] | None = None,
        initial_design: list[str] | None = None,
    ) -> None:
        super().__init__(space=space, seed=seed)
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"unknown acquisition {acquisition!r}; choose one of {', '.join(ACQUISITIONS)}")
        if n_startup_trials < 1 or batch_size < 1:
            raise ValueError("n_startup_trials and batch_size must be at least 1")
        self._encoder = get_encoder(encoding).fit(space)
        self._predictor_options = predictor_options or {}
        get_predictor(predictor, **self._predictor_options)  # fail early on a bad name or option
        self._predictor = predictor
        self._acquisition = acquisition
        self._n_startup_trials = n_startup_trials
        self._batch_size = batch_size
        self._pool_kwargs = pool_kwargs or {}
        self._fit: _Fit | None = None
        self._initial_design = [space.from_string(a) for a in initial_design or []]

    def _propose(self, history: History, study: Study, trial: FrozenTrial) -> Any:
        if len(history.archs) < self._n_startup_trials:
            self._set_attrs(study, trial, {"iteration": 0})
            for arch in self._initial_design:
                if self._space.key(arch) not in history.seen:
                    return arch
            return self._random_unseen(history.seen)
        fitted = None
        if self._fit is None or len(history.archs) - self._fit.n_archs >= self._batch_size:
            fitted = self._fit = self._fit_model(history)
            history = self._history(study, trial)  # other workers may have claimed candidates while the model fit
        start = time.perf_counter()
        pick = self._pick(history)
        if pick is None and fitted is None:  # the pool is used up: a fresh one
            fitted = self._fit = self._fit_model(history)
            start = time.perf_counter()
            pick = self._pick(history)
        if pick is None:
            return self._random_unseen(history.seen)
        arch, attrs = pick
        if fitted is not None:
            attrs["bo_seconds"] = fitted.seconds + time.perf_counter() - start
        self._set_attrs(study, trial, attrs)
        return arch

    def _fit_model(self, history: History) -> _Fit:
        """Fit the predictor on the evaluated architectures and build the candidate pool."""
        start = time.perf_counter()
        pool = candidate_pool(self._space, history.best_first(), history.seen, self._rng, **self._pool_kwargs)
        model = None
        if self._acquisition != "random" and pool:
            seed = int(self._rng.integers(2**31))
            model = get_predictor(self._predictor, seed=seed, **self._predictor_options)
            model.fit(self._encoder.transform(history.archs), np.asarray(history.values))
        X_pool = self._encoder.transform(pool) if pool else np.empty((0, 0))
        ranking = None
        if self._acquisition == "its" and pool:  # one Thompson draw per candidate and fit, as in BANANAS
            ranking = select(model, X_pool, len(pool), acquisition="its", best_f=0.0, rng=self._rng)
        return _Fit(
            model=model,
            pool=pool,
            X_pool=X_pool,
            ranking=ranking,
            known={self._space.key(a) for a in history.archs},
            n_archs=len(history.archs),
            best_f=max(history.values),
            iteration=1 + (len(history.archs) - self._n_startup_trials) // self._batch_size,
            seconds=time.perf_counter() - start,
        )

    def _pick(self, history: History) -> tuple[Any, dict[str, Any]] | None:
        """Pick one candidate of the pool by acquisition, given everything under evaluation.

        What the model has not seen counts as pending: running trials and
        architectures evaluated since the fit. Sequentially these are the picks
        since the fit, so the picks are exactly BoTorch's greedy q-batch; with
        several workers, every running trial of every worker enters as well.
        """
        fit = self._fit
        assert fit is not None
        rows = [i for i, arch in enumerate(fit.pool) if self._space.key(arch) not in history.seen]
        if not rows:
            return None
        if fit.ranking is not None:  # ITS: the best of the fit's draw that is still free
            free = set(rows)
            j = next(j for j, i in enumerate(fit.ranking.indices) if i in free)
            row = int(fit.ranking.indices[j])
            values = (fit.ranking.mean[j], fit.ranking.std[j], fit.ranking.value[j])
        else:
            pending = history.pending + [a for a in history.archs if self._space.key(a) not in fit.known]
            sel = select(
                fit.model,
                fit.X_pool[rows],
                1,
                acquisition=self._acquisition,
                best_f=fit.best_f,
                X_pending=self._encoder.transform(pending) if pending else None,
                rng=self._rng,
            )
            row = rows[sel.indices[0]]
            values = (sel.mean[0], sel.std[0], sel.value[0])
        attrs: dict[str, Any] = {"iteration": fit.iteration}
        for name, value in zip(("pred_mean", "pred_std", "acq_value"), values, strict=True):
            if np.isfinite(value):
                attrs[name] = float(value)
        return fit.pool[row], attrs


@dataclass
class _Fit:
    """A fitted predictor with its candidate pool, used until a batch's worth of new results."""

    model: Any
    pool: list[Any]
    X_pool: np.ndarray
    ranking: Selection | None  # ITS only: the pool ordered by one Thompson draw
    known: set[Hashable]  # keys of the architectures the model was fit on
    n_archs: int
    best_f: float
    iteration: int
    seconds: float
