"""The study is the search log: what a trial's attributes mean, in one place.

Every evaluation is one Optuna trial. Its params are the architecture's flat
params; its user attrs say what happened to it. The names below are the only
spelling of those attrs in the library, and the functions below the only
reading of them:

- ``arch``: the architecture's id (``space.to_string``), set once the trial holds
  its whole architecture.
- ``fail_reason``: why a FAIL trial failed; with ``retry`` the trial was
  interrupted (Ctrl-C, a killed process, a dead worker) and its architecture is
  evaluated again by a copy; with ``skipped`` a worker ended it unevaluated
  (surplus, or ``duplicate_of`` another trial). Otherwise its evaluation failed:
  that architecture is never proposed again.
- ``warm_start``: an observation added from an earlier search (never evaluated
  here, not counted in the budget).
- ``worker``: ``host:pid`` of the worker process evaluating it.
- ``retry_of``: the trial whose architecture this enqueued trial evaluates again.
- ``supernet_epochs``: a one-shot trial's first intermediate values are its supernet's epochs; the
  standalone training's epochs are reported after them.

With constraints (``bananas.objectives``), a completed trial's system attr
``constraints`` holds one value per constraint, at most 0 where it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from bananas.spaces import Arch, Space

ARCH = "arch"
FAIL_REASON = "fail_reason"
RETRY = "retry"
RETRY_OF = "retry_of"
SKIPPED = "skipped"
DUPLICATE_OF = "duplicate_of"
WARM_START = "warm_start"
WORKER = "worker"
PRUNED = "pruned"
SUPERNET_EPOCHS = "supernet_epochs"  # one-shot trials: intermediate values 1..this are the supernet's
COST_SECONDS = "cost_seconds"
CONFIG = "bananas"  # study user attr: what the search is (space, dataset, method, budget, options, evaluator)
IDENTITY = ("space", "dataset", "method", "seed")  # study user attrs that a search on the study must match
CONSTRAINTS = "constraints"  # system attr: a trial's constraint values, as Optuna records them
FAILED_TRIAL = "failed_trial"  # system attr Optuna's heartbeat retry sets on the copy of a stale trial


def trial_params(trial: FrozenTrial) -> dict[str, Any]:
    """Return the params a trial has or will have: set ones, and those fixed by ``enqueue_trial``."""
    return {**trial.system_attrs.get("fixed_params", {}), **trial.params}


def has_arch(trial: FrozenTrial, space: Space) -> bool:
    """Whether the trial holds (or will hold, once enqueued) every param of ``space``."""
    params = trial_params(trial)
    return all(name in params for name in space.distributions())


def arch_of(trial: FrozenTrial, space: Space) -> Arch | None:
    """Return the trial's architecture, or None while it lacks some of its params."""
    return space.from_params(trial_params(trial)) if has_arch(trial, space) else None


class FinishedArchs:
    """``arch_of``, remembered for the finished trials of one study (they no longer change): a worker reads
    a history of thousands of trials at every proposal and at every claim, and turning each trial back
    into an architecture is a good part of that read (about 15 ms of 2,000 trials on every claim)."""

    def __init__(self) -> None:
        self._archs: dict[int, Arch | None] = {}
        self._of: tuple[Any, ...] | None = None

    def __call__(self, study: optuna.Study, trial: FrozenTrial, space: Space) -> Arch | None:
        if not trial.state.is_finished():
            return arch_of(trial, space)
        if self._of != (study._storage, study._study_id, space):
            self._archs, self._of = {}, (study._storage, study._study_id, space)
        if trial._trial_id not in self._archs:
            self._archs[trial._trial_id] = arch_of(trial, space)
        return self._archs[trial._trial_id]


def is_warm_start(trial: FrozenTrial) -> bool:
    """Whether the trial is an observation from an earlier search, not an evaluation of this one."""
    return WARM_START in trial.user_attrs


def failed_evaluation(trial: FrozenTrial) -> bool:
    """Whether a trial's evaluation itself failed (never proposed again), as opposed to a trial
    interrupted and retried (``retry``) or one a worker skipped without evaluating (``skipped``)."""
    attrs = trial.user_attrs
    return FAIL_REASON in attrs and not attrs.get(RETRY, False) and SKIPPED not in attrs


def awaits_retry(trial: FrozenTrial) -> bool:
    """Whether a FAIL trial, interrupted after its architecture was recorded, has that architecture
    evaluated again by a copy. Its architecture stays claimed, also in the moment before the copy is
    enqueued: Optuna fails a stale trial first and enqueues its copy after, and a proposal in between
    would race the copy."""
    attrs = trial.user_attrs
    return ARCH in attrs and not failed_evaluation(trial) and SKIPPED not in attrs


def unfinished(trial: FrozenTrial) -> bool:
    """Whether a FAIL trial was stopped before its evaluation ended (neither failed nor skipped)."""
    return trial.state == TrialState.FAIL and not failed_evaluation(trial) and SKIPPED not in trial.user_attrs


def own_complete(trials: Iterable[FrozenTrial]) -> int:
    """Return how many of ``trials`` are COMPLETE evaluations of this search (warm-start ones not counted)."""
    return sum(t.state == TrialState.COMPLETE and not is_warm_start(t) for t in trials)


def n_complete(study: optuna.Study) -> int:
    """Return the number of COMPLETE trials that ``study``'s search evaluated (the budget's count)."""
    return own_complete(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def fail_unfinished(study: optuna.Study, trial: FrozenTrial, reason: str, *, retry: bool) -> bool:
    """Mark a trial that did not finish its evaluation FAIL with ``reason`` and, with ``retry``, ``retry``
    (its architecture is to be evaluated again), else ``skipped`` (its claim is given up); return False if
    it had already finished (another process ended it)."""
    storage = study._storage
    try:
        storage.set_trial_user_attr(trial._trial_id, FAIL_REASON, reason)
        storage.set_trial_user_attr(trial._trial_id, RETRY if retry else SKIPPED, True)
        return bool(storage.set_trial_state_values(trial._trial_id, TrialState.FAIL))
    except optuna.exceptions.UpdateFinishedTrialError:
        return False


def skip(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    """End a trial unevaluated (FAIL, ``skipped``): surplus to the budget or a duplicate."""
    trial.set_user_attr(SKIPPED, True)
    trial.set_user_attr(FAIL_REASON, reason)
    study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def set_constraints(trial: optuna.Trial, violations: list[float]) -> None:
    """Record a trial's constraint values (at most 0: it holds) where Optuna's samplers (``trial.constraints``)
    and optuna-dashboard (which marks infeasible trials) read them: the system attr ``constraints``."""
    trial.study._storage.set_trial_system_attr(trial._trial_id, CONSTRAINTS, violations)


def study_config(study: optuna.Study) -> dict[str, Any]:
    """Return what a bananas study records about its search; ValueError if bananas did not make it."""
    config = study.user_attrs.get(CONFIG)
    if config is None or "sampler_options" not in config:
        raise ValueError(
            f"study {study.study_name!r} was not made by this version of 'bananas search'; "
            "create it with 'bananas search ... --workers N' (it records what workers need)"
        )
    return dict(config)
