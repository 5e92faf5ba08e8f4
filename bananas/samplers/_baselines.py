"""The baselines that share BANANAS's Space and recording: random search, regularized evolution,
and Optuna's own samplers kept to valid architectures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from bananas.history import Proposal
from bananas.pool import random_unseen
from bananas.samplers._base import SpaceSampler
from bananas.spaces import Space, values_of


class RandomSearchSampler(SpaceSampler):
    """Random search without repeats: each trial a uniformly drawn architecture not yet tried."""

    multi_objective = True

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        return Proposal(random_unseen(space, self._history(study, trial, space).seen, self._rng))


class EvolutionSampler(SpaceSampler):
    """Regularized evolution (Real et al. 2019) on the study's trials.

    The population is the last ``population_size`` evaluated architectures;
    each child is a one-edit mutation of the best of ``tournament_size`` drawn
    from it. Until the population is full, architectures are random.
    """

    def __init__(
        self,
        *,
        space: Space | None = None,
        seed: int | None = None,
        population_size: int = 50,
        tournament_size: int = 10,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        super().__init__(space=space, seed=seed, constraints_func=constraints_func)
        if not 1 <= tournament_size <= population_size:
            raise ValueError("need 1 <= tournament_size <= population_size")
        self._population_size = population_size
        self._tournament_size = tournament_size

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        history = self._history(study, trial, space)
        if len(history.archs) < self._population_size:
            return Proposal(random_unseen(space, history.seen, self._rng))
        population = range(len(history.archs) - self._population_size, len(history.archs))
        contenders = self._rng.choice(population, size=self._tournament_size, replace=False)
        parent = history.archs[max(contenders, key=lambda i: history.values[i])]
        for _ in range(100):
            child = space.mutate(parent, self._rng)
            if space.key(child) not in history.seen:
                return Proposal(child)
        return Proposal(random_unseen(space, history.seen, self._rng))


class LocalSearchSampler(SpaceSampler):
    """Local search (hill climbing; White et al., "Local search is state of the art for NAS", 2020).

    From a random architecture, evaluate the neighbours of the best architecture of the current climb
    in random order; a better one becomes the one whose neighbours come next. Once every neighbour of
    the climb's best is evaluated (a local optimum), restart from a random architecture.
    """

    _climb_start = 0  # the climb's first evaluation, counted in the history's order

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        history = self._history(study, trial, space)
        climb = range(self._climb_start, len(history.archs))
        if climb:
            best = history.archs[max(climb, key=lambda i: history.values[i])]
            fresh = [n for n in space.neighbors(best) if space.key(n) not in history.seen]
            if fresh:
                return Proposal(fresh[self._rng.integers(len(fresh))], {"climb_from": space.to_string(best)})
        if climb or not history.pending:  # a local optimum, or the very start: a new climb
            self._climb_start = len(history.archs)
        return Proposal(random_unseen(space, history.seen, self._rng))


class ReinforceSampler(SpaceSampler):
    """A REINFORCE controller (Williams 1992; the RL search of Zoph & Le, as NAS-Bench-201's baseline).

    The policy is one softmax per param of the space (categorical and integer params). Each proposal
    replays the study's completed trials in order as REINFORCE updates, ``logits += lr * (reward -
    baseline) * (onehot - softmax)`` with reward the value (the first objective) / 100 and an exponential
    moving-average baseline, then draws an untried valid architecture from the policy.
    """

    def __init__(
        self,
        *,
        space: Space | None = None,
        seed: int | None = None,
        lr: float = 0.5,
        baseline_decay: float = 0.9,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        super().__init__(space=space, seed=seed, constraints_func=constraints_func)
        self._lr, self._decay = lr, baseline_decay

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        history = self._history(study, trial, space)
        found = {name: values_of(d) for name, d in space.distributions().items()}
        choices = {name: c for name, c in found.items() if c is not None}
        if len(choices) < len(found):  # float params: no categorical policy
            return Proposal(random_unseen(space, history.seen, self._rng))
        logits = {name: np.zeros(len(c)) for name, c in choices.items()}
        baseline = None
        for arch, value in zip(history.archs, history.values, strict=True):
            reward = (value[0] if isinstance(value, tuple) else value) / 100.0
            baseline = reward if baseline is None else self._decay * baseline + (1 - self._decay) * reward
            for name, chosen in space.to_params(arch).items():
                p = _softmax(logits[name])
                step = -p
                step[choices[name].index(chosen)] += 1.0
                logits[name] += self._lr * (reward - baseline) * step
        for _ in range(100):
            params = {name: c[self._rng.choice(len(c), p=_softmax(logits[name]))] for name, c in choices.items()}
            arch = space.from_params(params)
            if space.is_valid(arch) and space.key(arch) not in history.seen:
                return Proposal(arch)
        return Proposal(random_unseen(space, history.seen, self._rng))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


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
