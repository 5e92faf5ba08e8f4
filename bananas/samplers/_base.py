"""Glue from an Optuna study to a proposal over a Space.

A ``SpaceSampler`` proposes a whole architecture per trial through Optuna's
relative sampling: the relative search space is the space's flat params, and
``sample_relative`` reads the study's trials as the search history.
"""

from __future__ import annotations

import threading
import warnings
from abc import abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from bananas.spaces import Space


@dataclass
class History:
    """What a proposal may read: evaluated architectures with their values (higher is
    better, in trial order), those under evaluation, and the canonical keys never to
    propose again (evaluated, running, failed in evaluation, or interrupted and retried)."""

    archs: list[Any] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    pending: list[Any] = field(default_factory=list)
    seen: set[Hashable] = field(default_factory=set)

    def best_first(self) -> list[Any]:
        """Return the evaluated architectures sorted from best to worst."""
        order = np.argsort(-np.asarray(self.values), kind="stable")
        return [self.archs[i] for i in order]


FAIL_REASON = "fail_reason"
RETRY = "retry"
SKIPPED = "skipped"


def failed_evaluation(trial: FrozenTrial) -> bool:
    """Whether a FAIL trial's evaluation itself failed (never proposed again), as opposed to a
    trial interrupted by Ctrl-C or left RUNNING by a killed process (``retry`` set; evaluated again)
    or one a worker skipped without evaluating (``skipped``: surplus or a concurrent duplicate)."""
    attrs = trial.user_attrs
    return FAIL_REASON in attrs and not attrs.get(RETRY, False) and SKIPPED not in attrs


def awaits_retry(trial: FrozenTrial) -> bool:
    """Whether a FAIL trial, interrupted after its architecture was recorded (user attr ``arch``), has that
    architecture evaluated again by a copy (``bananas.storage.RetryArchitecture``, ``requeue_interrupted``).
    Its architecture stays claimed, also in the moment before the copy is enqueued: Optuna fails a stale
    trial first and enqueues its copy after, and a proposal in between would race the copy."""
    attrs = trial.user_attrs
    return "arch" in attrs and not failed_evaluation(trial) and SKIPPED not in attrs


def trial_params(trial: FrozenTrial) -> dict[str, Any]:
    """Return the params a trial has or will have: set ones, and those fixed by ``enqueue_trial``."""
    return {**trial.system_attrs.get("fixed_params", {}), **trial.params}


class SpaceSampler(BaseSampler):
    """Base of the samplers that propose architectures of a ``Space``.

    Args:
        space: the search space; the study's objective must build its
            architecture with ``space.suggest(trial)``.
        seed: seeds every random choice of the sampler.
    """

    def __init__(self, *, space: Space, seed: int | None = None) -> None:
        self._space = space
        self._rng = np.random.default_rng(seed)
        self._independent = RandomSampler(seed=seed)
        # Threads of one process (study.optimize(n_jobs=...)) propose one at a time, and an
        # architecture handed out counts as pending until its params reach the storage.
        self._lock = threading.Lock()
        self._handed_out: dict[int, Any] = {}

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._independent.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if study._is_multi_objective():
            warnings.warn(
                f"{type(self).__name__} supports single-objective studies only; sampling at random", stacklevel=2
            )
            return {}
        return self._space.distributions()

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        fixed = trial_params(trial)
        if all(name in fixed for name in search_space):
            return {}  # an enqueued or retried architecture: Optuna uses its params; no proposal is spent
        with self._lock:
            history = self._history(study, trial)
            arch = self._propose(history, study, trial)
            self._handed_out[trial.number] = arch
        return self._space.to_params(arch)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def _history(self, study: Study, trial: FrozenTrial) -> History:
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        names = self._space.distributions().keys()
        history = History()
        for t in study._get_trials(deepcopy=False, use_cache=False):
            if t.number == trial.number:
                continue
            params = trial_params(t)
            if all(n in params for n in names):
                arch = self._space.from_params(params)
                self._handed_out.pop(t.number, None)
            elif t.state == TrialState.RUNNING and t.number in self._handed_out:
                arch = self._handed_out[t.number]
            else:
                continue
            if t.state == TrialState.FAIL and not failed_evaluation(t) and not awaits_retry(t):
                continue  # skipped, or stopped before its architecture was recorded: free to propose
            history.seen.add(self._space.key(arch))
            if t.state == TrialState.COMPLETE and t.value is not None:
                history.archs.append(arch)
                history.values.append(sign * t.value)
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                history.pending.append(arch)
        return history

    def _random_unseen(self, seen: set[Hashable], tries: int = 1000) -> Any:
        """Return a random architecture not in ``seen`` (any random one if none is found)."""
        for _ in range(tries):
            arch = self._space.sample(self._rng)
            if self._space.key(arch) not in seen:
                return arch
        return self._space.sample(self._rng)

    @staticmethod
    def _set_attrs(study: Study, trial: FrozenTrial, attrs: dict[str, Any]) -> None:
        for key, value in attrs.items():
            study._storage.set_trial_user_attr(trial._trial_id, key, value)

    @abstractmethod
    def _propose(self, history: History, study: Study, trial: FrozenTrial) -> Any:
        """Return the architecture this trial evaluates."""


class RandomSearchSampler(SpaceSampler):
    """Random search without repeats: each trial a uniformly drawn architecture not yet tried."""

    def _propose(self, history: History, study: Study, trial: FrozenTrial) -> Any:
        return self._random_unseen(history.seen)


class EvolutionSampler(SpaceSampler):
    """Regularized evolution (Real et al. 2019) on the study's trials.

    The population is the last ``population_size`` evaluated architectures;
    each child is a one-edit mutation of the best of ``tournament_size`` drawn
    from it. Until the population is full, architectures are random.
    """

    def __init__(
        self, *, space: Space, seed: int | None = None, population_size: int = 50, tournament_size: int = 10
    ) -> None:
        super().__init__(space=space, seed=seed)
        if not 1 <= tournament_size <= population_size:
            raise ValueError("need 1 <= tournament_size <= population_size")
        self._population_size = population_size
        self._tournament_size = tournament_size

    def _propose(self, history: History, study: Study, trial: FrozenTrial) -> Any:
        if len(history.archs) < self._population_size:
            return self._random_unseen(history.seen)
        population = range(len(history.archs) - self._population_size, len(history.archs))
        contenders = self._rng.choice(population, size=self._tournament_size, replace=False)
        parent = history.archs[max(contenders, key=lambda i: history.values[i])]
        for _ in range(100):
            child = self._space.mutate(parent, self._rng)
            if self._space.key(child) not in history.seen:
                return child
        return self._random_unseen(history.seen)


class ValidProposals(BaseSampler):
    """Wraps one of Optuna's samplers so that its joint proposals are valid architectures.

    Optuna's samplers do not know which param combinations are no network
    (e.g. an all-skip NAS-Bench-Graph cell) and learn nothing from FAIL trials:
    GPSampler then proposes the same invalid point again and again. An invalid
    relative proposal is replaced by a random valid architecture, and the trial
    gets user attr ``replaced_invalid``. Param-by-param proposals (TPE's default)
    pass through; their invalid combinations become FAIL trials.
    """

    def __init__(self, sampler: BaseSampler, space: Space, seed: int | None = None) -> None:
        self._sampler = sampler
        self._space = space
        self._rng = np.random.default_rng(seed)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()
        self._rng = np.random.default_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        params = self._sampler.sample_relative(study, trial, search_space)
        if set(params) >= set(self._space.distributions()) and not self._space.is_valid(
            self._space.from_params(params)
        ):
            study._storage.set_trial_user_attr(trial._trial_id, "replaced_invalid", True)
            return {**params, **self._space.to_params(self._space.sample(self._rng))}
        return params

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._sampler.before_trial(study, trial)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        self._sampler.after_trial(study, trial, state, values)
