"""Glue from an Optuna study to a proposal over a Space.

A ``SpaceSampler`` proposes a whole architecture per trial through Optuna's
relative sampling: the relative search space is the space's flat params, and
``sample_relative`` reads the study's trials as the search history.
"""

from __future__ import annotations

import threading
import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from bananas.bo import History, Proposal
from bananas.spaces import Arch, Space
from bananas.trials import arch_of, awaits_retry, failed_evaluation, has_arch


class SpaceSampler(BaseSampler):
    """Base of the samplers that propose architectures of a ``Space``.

    Args:
        space: the search space; the study's objective must build its
            architecture with ``space.suggest(trial)``.
        seed: seeds every random choice of the sampler.
    """

    def __init__(self, *, space: Space, seed: int | None = None) -> None:
        if not isinstance(space, Space):
            raise TypeError(f"space must be a bananas Space, e.g. bananas.get_space('nbgraph', 'cora'); got {space!r}")
        self._space = space
        self._rng = np.random.default_rng(seed)
        self._independent = RandomSampler(seed=seed)
        # Threads of one process (study.optimize(n_jobs=...)) propose one at a time, and an
        # architecture handed out counts as pending until its params reach the storage.
        self._lock = threading.Lock()
        self._handed_out: dict[int, Arch] = {}
        self._warned = False  # about params outside the space, said once

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
        if has_arch(trial, self._space):
            return {}  # an enqueued or retried architecture: Optuna uses its params; no proposal is spent
        with self._lock:
            proposal = self._propose(study, trial)
            for key, value in proposal.attrs.items():
                study._storage.set_trial_user_attr(trial._trial_id, key, value)
            self._handed_out[trial.number] = proposal.arch
        return self._space.to_params(proposal.arch)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name not in self._space.distributions() and not self._warned:
            self._warned = True
            warnings.warn(
                f"{type(self).__name__} proposes {self._space.name} architectures; param {param_name!r} (and any "
                f"other outside {', '.join(self._space.distributions())}) is sampled at random. Build the "
                "objective's architecture with space.suggest(trial) on the sampler's space",
                stacklevel=2,
            )
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def _history(self, study: Study, trial: FrozenTrial) -> History:
        """Read the study's trials (all but ``trial``) as the search history."""
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        history = History()
        for t in study._get_trials(deepcopy=False, use_cache=False):
            if t.number == trial.number:
                continue
            arch = arch_of(t, self._space)
            if arch is not None:
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

    @abstractmethod
    def _propose(self, study: Study, trial: FrozenTrial) -> Proposal:
        """Return the architecture this trial evaluates (and the user attrs to record with it)."""
