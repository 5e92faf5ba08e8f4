"""Glue from an Optuna study to a proposal over a Space.

A ``SpaceSampler`` proposes a whole architecture per trial through Optuna's
relative sampling: the relative search space is the space's flat params, and
``sample_relative`` reads the study's trials as the search history. Without a
space it searches the study's own params: the search space Optuna infers
(the params every trial so far had with one distribution, as Optuna's GP and
multivariate TPE samplers do) becomes a ``ParamSpace``.
"""

from __future__ import annotations

import functools
import threading
import warnings
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.samplers._base import _process_constraints_after_trial
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from bananas.history import History, Proposal
from bananas.objectives import Constraint, Constraints
from bananas.spaces import Arch, Space
from bananas.spaces.params import ParamSpace
from bananas.trials import FinishedArchs, awaits_retry, failed_evaluation, has_arch


class SpaceSampler(BaseSampler):
    """Base of the samplers that propose architectures of a ``Space``.

    Args:
        space: the search space; the study's objective must build its
            architecture with ``space.suggest(trial)``. None: the params the
            objective suggests itself (float, int, categorical).
        seed: seeds every random choice of the sampler.
        constraints_func: a completed trial in, one value per constraint out (at most 0: it holds),
            recorded as the trial's constraints (what Optuna's samplers and the dashboard read) unless
            the objective recorded them (``trial.set_constraint``, or ``bananas search``);
            ``bananas.objectives.Constraints`` reads them from the trial's recorded metrics, and the
            proposals then compute those on metrics the space knows. Without it, the constraints
            the trials record are read (none recorded: feasible).

    ``multi_objective``: whether it proposes on studies with several directions (others sample those at
    random, with a warning).
    """

    multi_objective: ClassVar[bool] = False

    def __init__(
        self,
        *,
        space: Space | None = None,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        if space is not None and not isinstance(space, Space):
            raise TypeError(
                "space must be a bananas Space, e.g. bananas.get_space('nbgraph', 'cora'), or None to search "
                f"the params the objective suggests; got {space!r}"
            )
        self._space = space
        self._constraints_func = constraints_func
        self._inferred = IntersectionSearchSpace(include_pruned=True)
        self._rng = np.random.default_rng(seed)
        self._independent = RandomSampler(seed=seed)
        # Threads of one process (study.optimize(n_jobs=...)) propose one at a time, and an
        # architecture handed out counts as pending until its params reach the storage.
        self._lock = threading.Lock()
        self._handed_out: dict[int, Arch] = {}
        self._arch_of = FinishedArchs()  # a trial's architecture, remembered once it is finished
        self._warned = False  # about params outside the space, said once

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._independent.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if study._is_multi_objective() and not self.multi_objective:
            warnings.warn(
                f"{type(self).__name__} supports single-objective studies only; sampling at random", stacklevel=2
            )
            return {}
        if self._space is not None:
            return self._space.distributions()
        return {name: d for name, d in self._inferred.calculate(study).items() if not d.single()}

    def _space_of(self, search_space: dict[str, BaseDistribution]) -> Space:
        """The space a proposal is drawn from: the sampler's own, or the study's params as a ParamSpace."""
        if self._space is not None:
            return self._space
        return ParamSpace({name: search_space[name] for name in sorted(search_space)})

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        space = self._space_of(search_space)
        if has_arch(trial, space):
            return {}  # an enqueued or retried architecture: Optuna uses its params; no proposal is spent
        with self._lock:
            proposal = self._propose(study, trial, space)
            for key, value in proposal.attrs.items():
                study._storage.set_trial_user_attr(trial._trial_id, key, value)
            self._handed_out[trial.number] = proposal.arch
        return space.to_params(proposal.arch)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if not self._warned and self._outside(study, param_name):
            self._warned = True
            if self._space is not None:
                what = (
                    f"proposes {self._space.name} architectures; param {param_name!r} (and any other outside "
                    f"{', '.join(self._space.distributions())}) is sampled at random. Build the objective's "
                    "architecture with space.suggest(trial) on the sampler's space"
                )
            else:
                what = (
                    f"samples param {param_name!r} (and any other not suggested with one distribution in every "
                    "trial so far) at random; params every trial suggests alike are searched together"
                )
            warnings.warn(f"{type(self).__name__} {what}", stacklevel=2)
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def _outside(self, study: Study, param_name: str) -> bool:
        """Whether sampling ``param_name`` independently is worth a warning: a param outside the sampler's
        space, or (no space) outside the inferred one once trials have finished (multi-objective studies
        were warned about in ``infer_relative_search_space``)."""
        if self._space is not None:
            return param_name not in self._space.distributions()
        return (self.multi_objective or not study._is_multi_objective()) and _n_finished(study) > 0

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        if self._constraints_func is not None and state == TrialState.COMPLETE and not trial.constraints:
            _process_constraints_after_trial(self._constraints_func, study, trial, state)

    def _history(self, study: Study, trial: FrozenTrial, space: Space) -> History:
        """Read the study's trials (all but ``trial``) as the search history over ``space``."""
        signs = [1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions]
        history = History(exact=self._exact(study, space, signs))
        violations: list[dict[str, float]] = []
        for t in study._get_trials(deepcopy=False, use_cache=False):
            if t.number == trial.number:
                continue
            arch = self._arch_of(study, t, space)
            if self._space is None and arch is not None and not space.is_valid(arch):
                continue  # the study's params from another range: not this search space's
            if arch is not None:
                self._handed_out.pop(t.number, None)
            elif t.state == TrialState.RUNNING and t.number in self._handed_out:
                arch = self._handed_out[t.number]
            else:
                continue
            if t.state == TrialState.FAIL and not failed_evaluation(t) and not awaits_retry(t):
                continue  # skipped, or stopped before its architecture was recorded: free to propose
            history.seen.add(space.key(arch))
            if t.state == TrialState.COMPLETE and t.values is not None:
                history.archs.append(arch)
                oriented = tuple(s * v for s, v in zip(signs, t.values, strict=True))  # higher is better
                history.values.append(oriented if len(oriented) > 1 else oriented[0])
                recorded = t.constraints or {}
                if self._constraints_func is not None and not recorded:
                    recorded = {str(i): float(v) for i, v in enumerate(self._constraints_func(t))}
                violations.append(recorded)
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                history.pending.append(arch)
        names = sorted({k for v in violations for k in v}, key=lambda k: (len(k), k))  # "0", "1", ..., "10"
        if names:
            history.violations = [tuple(v.get(k, 0.0) for k in names) for v in violations]  # none: feasible
        return history

    def _exact(self, study: Study, space: Space, signs: list[float]) -> dict[int, Callable[[Arch], float]]:
        """The outcomes (objectives in the study's metric names, then constraints) that ``space`` knows
        from the architecture alone, as functions of it (objectives oriented: higher is better)."""
        known = set(space.known_metric_names)
        exact: dict[int, Callable[[Arch], float]] = {}
        for j, (name, sign) in enumerate(zip(study.metric_names or [], signs, strict=False)):
            if name in known:
                exact[j] = functools.partial(_known, space, name, sign)
        if isinstance(self._constraints_func, Constraints):
            for i, c in enumerate(self._constraints_func.items):
                if c.metric in known:
                    exact[len(signs) + i] = functools.partial(_known_violation, space, c)
        return exact

    @abstractmethod
    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        """Return the architecture this trial evaluates (and the user attrs to record with it)."""


def _known(space: Space, name: str, sign: float, arch: Arch) -> float:
    return sign * space.known_metrics(arch)[name]


def _known_violation(space: Space, constraint: Constraint, arch: Arch) -> float:
    return constraint.violation(space.known_metrics(arch)[constraint.metric])


def _n_finished(study: Study) -> int:
    return sum(t.state.is_finished() for t in study._get_trials(deepcopy=False, use_cache=True))
