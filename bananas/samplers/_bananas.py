"""BANANAS as an Optuna sampler: fit the predictor on the study, pick a batch by acquisition."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.acquisition import ACQUISITIONS, DEFAULT_ACQUISITION, select
from bananas.encodings import DEFAULT_ENCODING, get_encoder
from bananas.pool import candidate_pool
from bananas.predictors import get_predictor
from bananas.samplers._base import History, SpaceSampler
from bananas.spaces import Space


class BananasSampler(SpaceSampler):
    """BANANAS (White et al., 2021): neural-predictor Bayesian optimization over a ``Space``.

    After ``n_startup_trials`` random architectures, every ``batch_size``
    trials it fits the predictor on the study's completed trials, builds the
    candidate pool (mutations of the best plus random, minus every tried or
    running architecture), and lets the acquisition pick ``batch_size`` of them,
    with running trials as BoTorch's ``X_pending``. The picks are handed out
    one per trial; each trial gets user attrs ``iteration``, ``pred_mean``,
    ``pred_std``, ``acq_value`` and, on the first of a batch, ``bo_seconds``.

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
        self._queue: list[tuple[Any, dict[str, Any]]] = []
        self._initial_design = [space.from_string(a) for a in initial_design or []]

    def _propose(self, history: History, study: Study, trial: FrozenTrial) -> Any:
        if len(history.archs) < self._n_startup_trials:
            self._set_attrs(study, trial, {"iteration": 0})
            for arch in self._initial_design:
                if self._space.key(arch) not in history.seen:
                    return arch
            return self._random_unseen(history.seen)
        for _ in range(2):
            while self._queue:
                arch, attrs = self._queue.pop(0)
                if self._space.key(arch) not in history.seen:
                    self._set_attrs(study, trial, attrs)
                    return arch
            self._queue = self._plan(history)
            history = self._history(study, trial)  # other workers may have claimed picks while the model fit
        return self._random_unseen(history.seen)

    def _candidates(self, history: History) -> list[Any]:
        """Return the candidate pool: untried mutations of the best plus random architectures."""
        exclude = history.seen | {self._space.key(a) for a in history.pending}
        return candidate_pool(self._space, history.best_first(), exclude, self._rng, **self._pool_kwargs)

    def _plan(self, history: History) -> list[tuple[Any, dict[str, Any]]]:
        """Fit the predictor and pick the next batch; return (arch, user attrs) per pick."""
        start = time.perf_counter()
        pool = self._candidates(history)
        if not pool:
            return []
        model = None
        if self._acquisition != "random":
            seed = int(self._rng.integers(2**31))
            y = np.asarray(history.values)
            model = get_predictor(self._predictor, seed=seed, **self._predictor_options)
            model.fit(self._encoder.transform(history.archs), y)
        X_pending = self._encoder.transform(history.pending) if history.pending else None
        sel = select(
            model,
            self._encoder.transform(pool),
            self._batch_size,
            acquisition=self._acquisition,
            best_f=max(history.values),
            X_pending=X_pending,
            rng=self._rng,
        )
        iteration = 1 + (len(history.archs) - self._n_startup_trials) // self._batch_size
        plan = []
        for rank, i in enumerate(sel.indices):
            attrs: dict[str, Any] = {"iteration": iteration}
            for name, arr in (("pred_mean", sel.mean), ("pred_std", sel.std), ("acq_value", sel.value)):
                if np.isfinite(arr[rank]):
                    attrs[name] = float(arr[rank])
            if rank == 0:
                attrs["bo_seconds"] = time.perf_counter() - start
            plan.append((pool[i], attrs))
        return plan
