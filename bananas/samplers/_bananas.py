"""BANANAS as an Optuna sampler: the study's trials in, ``bananas.bo.BananasStep``'s proposal out."""

from __future__ import annotations

from typing import Any

from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.acquisition import DEFAULT_ACQUISITION, Acquisition, get_acquisition
from bananas.bo import BananasStep, Fit, Proposal
from bananas.encodings import DEFAULT_ENCODING, get_encoder
from bananas.predictors import DEFAULT_PREDICTOR
from bananas.samplers._base import SpaceSampler
from bananas.spaces import Space


class BananasSampler(SpaceSampler):
    """BANANAS (White et al., 2021): neural-predictor Bayesian optimization over a ``Space``.

    After ``n_startup_trials`` random architectures, every ``batch_size``
    completed trials (of any worker on the study) it fits the predictor on the
    study's completed trials and builds the candidate pool; each trial then gets
    the pool's best candidate by acquisition, with running trials of every worker
    and architectures evaluated since the fit as BoTorch's ``X_pending`` (see
    ``bananas.bo``). Each trial gets user attrs ``iteration``, ``pred_mean``,
    ``pred_std``, ``acq_value`` and, on the trial that fit the model,
    ``bo_seconds`` (fit, pool and pick).

    Args:
        space: the search space (objective: ``arch = space.suggest(trial)``).
        seed: seeds the random start, the pool, the predictor and the acquisition.
        n_startup_trials: random architectures before the first model fit.
        batch_size: architectures picked per model fit.
        encoding, predictor: names from ``bananas.encodings.ENCODINGS`` and ``bananas.predictors.PREDICTORS``.
        acquisition: a name from ``bananas.acquisition.ACQUISITIONS`` or an ``Acquisition``
            (``"random"``: no model, the pool-random baseline).
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
        predictor: str = DEFAULT_PREDICTOR,
        predictor_options: dict[str, Any] | None = None,
        acquisition: str | Acquisition = DEFAULT_ACQUISITION,
        pool_kwargs: dict[str, Any] | None = None,
        initial_design: list[str] | None = None,
    ) -> None:
        super().__init__(space=space, seed=seed)
        self._step = BananasStep(
            space,
            get_encoder(encoding).fit(space),
            get_acquisition(acquisition),
            predictor=predictor,
            predictor_options=predictor_options,
            n_startup=n_startup_trials,
            batch_size=batch_size,
            pool_kwargs=pool_kwargs,
            initial_design=[space.from_string(a) for a in initial_design or []],
        )

    @property
    def _fit(self) -> Fit | None:
        """The current model fit and its pool (None before the first)."""
        return self._step.fit

    def _propose(self, study: Study, trial: FrozenTrial) -> Proposal:
        return self._step.propose(self._history(study, trial), self._rng, lambda: self._history(study, trial))
