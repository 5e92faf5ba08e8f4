"""BANANAS as an Optuna sampler: the study's trials in, ``bananas.bo.BananasStep``'s proposal out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.acquisition import DEFAULT_ACQUISITION, Acquisition, get_acquisition
from bananas.bo import BananasStep, Fit
from bananas.encodings import DEFAULT_ENCODING, Encoder, encoder_for
from bananas.history import Proposal
from bananas.pareto import DEFAULT_MO_ACQUISITION
from bananas.predictors import DEFAULT_PREDICTOR
from bananas.samplers._base import SpaceSampler
from bananas.spaces import Space, TabularSpace
from bananas.spaces.params import ParamSpace
from bananas.transfer import PriorScore


class BananasSampler(SpaceSampler):
    """BANANAS (White et al., 2021): neural-predictor Bayesian optimization over a ``Space``, or over
    the params an objective suggests itself (``space=None``: floats, ints and categoricals, encoded as
    one-hots and unit-scaled numbers; candidates are mutations of the best trials' params plus random ones).
    On a study with several directions it searches the Pareto front: one predictor per objective and
    BoTorch's qLogNEHVI or qLogNParEGO (``mo_acquisition``, ``bananas.pareto``), whatever ``acquisition``
    names (``"random"`` excepted);
    objectives named in the study's metric names that the space knows from the architecture alone
    (``Space.known_metric_names``, e.g. ``params_m``) are computed, not predicted.

    After ``n_startup_trials`` random architectures, every ``batch_size``
    completed trials (of any worker on the study) it fits the predictor on the
    study's completed trials and builds the candidate pool; each trial then gets
    the pool's best candidate by acquisition, with running trials of every worker
    and architectures evaluated since the fit as BoTorch's ``X_pending`` (see
    ``bananas.bo``). Each trial gets user attrs ``iteration``, ``pred_mean``,
    ``pred_std``, ``acq_value`` and, on the trial that fit the model,
    ``bo_seconds`` (fit, pool and pick) and ``fit_seconds`` (of it, pool and fit).

    Args:
        space: the search space (objective: ``arch = space.suggest(trial)``); None: the study's params.
        seed: seeds the random start, the pool, the predictor and the acquisition.
        n_startup_trials: random architectures before the first model fit.
        batch_size: architectures picked per model fit (default: 10; 5 with several objectives or
            constraints, ``bananas.bo.JOINT_BATCH_SIZE``).
        encoding, predictor: names from ``bananas.encodings.ENCODINGS`` and ``bananas.predictors.PREDICTORS``.
        acquisition: a name from ``bananas.acquisition.ACQUISITIONS`` or an ``Acquisition``
            (``"random"``: no model, the pool-random baseline).
        predictor_options: passed to the predictor's constructor (e.g. ``n_members``).
        pool_kwargs: passed to ``bananas.pool.candidate_pool``.
        whole_space: on a space whose table lists every architecture (``TabularSpace``) and one
            objective, every untried architecture is a candidate instead of the mutation pool
            (``bananas search --whole-space``).
        initial_design: architecture ids (``space.to_string``) evaluated first in the random start.
        transfer: ``(architecture id, value)`` pairs evaluated on another dataset of the space (a prior
            search; ``bananas search --warm-start`` of another dataset): a predictor fit on them scores
            every architecture, and the search uses that score as far as its own observations agree with it
            (``bananas.transfer``). Needs a ``space``.
        mo_acquisition: the acquisition with several objectives: ``"nehvi"`` (BoTorch's qLogNEHVI, the
            default) or ``"parego"`` (qLogNParEGO, a random Chebyshev scalarization per pick).
        constraints_func: a completed trial in, one value per constraint out (at most 0: it holds), as
            Optuna's samplers take it; ``bananas.objectives.Constraints(["params_m<=0.5"])`` reads the
            trial's recorded metrics. Proposals then seek the best feasible architectures (constraint
            values predicted, or computed where the space knows the metric).
        fidelity: cheap scores of architectures (a sequence in, one number each out, about unit
            scale), used like a transfer prior, as far as the observations agree with them
            (``bananas.fidelity``); e.g. ``bananas.fidelity.SupernetFidelity``, a supernet's
            inherited-weights accuracy (``bananas search --fidelity supernet``). Not with ``transfer``.
    """

    multi_objective = True

    def __init__(
        self,
        *,
        space: Space | None = None,
        seed: int | None = None,
        n_startup_trials: int = 10,
        batch_size: int | None = None,
        encoding: str = DEFAULT_ENCODING,
        predictor: str = DEFAULT_PREDICTOR,
        predictor_options: dict[str, Any] | None = None,
        acquisition: str | Acquisition = DEFAULT_ACQUISITION,
        pool_kwargs: dict[str, Any] | None = None,
        initial_design: list[str] | None = None,
        mo_acquisition: str = DEFAULT_MO_ACQUISITION,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        fidelity: Callable[[Sequence[Any]], np.ndarray] | None = None,
        whole_space: bool = False,
        transfer: Sequence[tuple[str, float]] | None = None,
    ) -> None:
        super().__init__(space=space, seed=seed, constraints_func=constraints_func)
        if transfer and space is None:
            raise ValueError("transfer needs the space the prior search was on: BananasSampler(space=...)")
        if transfer and fidelity is not None:
            raise ValueError("a fidelity and a transfer prior take the same place: give one of them")
        self._encoding = encoding
        self._fidelity = fidelity
        self._options: dict[str, Any] = {
            "predictor": predictor,
            "predictor_options": predictor_options,
            "n_startup": n_startup_trials,
            "batch_size": batch_size,
            "pool_kwargs": pool_kwargs,
            "mo_acquisition": mo_acquisition,
            "whole_space": whole_space,
        }
        self._acquisition = get_acquisition(acquisition)
        self._initial_design = initial_design or []
        self._transfer = [(str(a), float(v)) for a, v in transfer or ()]
        self._prior_seed = seed or 0  # the prior's own fit leaves the search's generator alone
        self._step: BananasStep | None = None
        self._step_for(space or ParamSpace({}))  # a bad option fails here, not at the first proposal

    def _step_for(self, space: Space) -> BananasStep:
        """The BANANAS step over ``space``: one for the sampler's space; a new one whenever the study's
        inferred search space changes."""
        step = self._step
        if step is None or (step.space is not space and step.space.distributions() != space.distributions()):
            encoder = self._encoder(space)
            step = self._step = BananasStep(
                space,
                encoder,
                self._acquisition,
                initial_design=[space.from_string(a) for a in self._initial_design],
                prior=self._prior(space, encoder),
                **self._options,
            )
        return step

    def _prior(self, space: Space, encoder: Encoder) -> Callable[[Sequence[Any]], np.ndarray] | None:
        """The step's prior: the fidelity, or the transfer prior's score over ``space`` (None without either)."""
        if self._fidelity is not None:
            return self._fidelity
        if not self._transfer:
            return None
        archs = [space.from_string(a) for a, _ in self._transfer]
        values = [v for _, v in self._transfer]
        return PriorScore(space, encoder, archs, values, seed=self._prior_seed, predictor=self._options["predictor"])

    def _encoder(self, space: Space) -> Encoder:
        """The encoding of ``space`` (one per table and process)."""
        encoder = _table_encoder(self._encoding, space) if isinstance(space, TabularSpace) else None
        return encoder or encoder_for(self._encoding, space)

    @property
    def _fit(self) -> Fit | None:
        """The current model fit and its pool (None before the first)."""
        return self._step.fit if self._step is not None else None

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        history = lambda: self._history(study, trial, space)  # noqa: E731
        return self._step_for(space).propose(history(), self._rng, history)


_TABLE_ENCODERS: dict[tuple[str, tuple[type, str]], Encoder] = {}


def _table_encoder(encoding: str, space: TabularSpace) -> Encoder:
    """One encoder per encoding and table in a process: it remembers each architecture's features, and a
    whole-table pool (NAS-Bench-Graph: 26,206 architectures, about 5 s to encode) is then encoded once,
    not once per search (a benchmark runs hundreds)."""
    shared = (encoding, space.table_id)
    if shared not in _TABLE_ENCODERS:
        _TABLE_ENCODERS[shared] = encoder_for(encoding, space)
    return _TABLE_ENCODERS[shared]
