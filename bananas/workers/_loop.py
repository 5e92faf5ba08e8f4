"""The worker loop: ask, propose, claim, evaluate, tell, until the study holds its budget."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from bananas.evaluators import Evaluator, from_description
from bananas.methods import make_sampler
from bananas.objectives import OBJECTIVE, Constraints
from bananas.search import Callback, EvaluationFailed, evaluate
from bananas.signals import STOP_REQUESTED, ignore_further_interrupts
from bananas.spaces import Space, get_space
from bananas.storage import DB_TIMEOUT, Retrying
from bananas.study import make_pruner
from bananas.trials import (
    ARCH,
    CONFIG,
    DUPLICATE_OF,
    FAIL_REASON,
    SKIPPED,
    WORKER,
    own_complete,
    skip,
    study_config,
)
from bananas.workers._claims import duplicate_of, surplus
from bananas.workers._liveness import Heartbeat, fail_dead_trials, give_back, worker_name


@dataclass
class WorkerReport:
    """What one worker did."""

    completed: int = 0
    failed: int = 0  # failed or pruned evaluations
    skipped: int = 0  # surplus trials and concurrent duplicates, never evaluated
    retried: int = 0  # trials of dead workers this one failed and enqueued again
    outages: int = 0  # times the storage stopped answering


def worker_seed(seed: int | None, index: int) -> int:
    """Return the sampler seed of worker ``index`` of a study seeded ``seed`` (distinct per worker)."""
    return int(np.random.SeedSequence([seed or 0, index]).generate_state(1)[0])


def run_worker(
    storage: Any,
    study_name: str,
    *,
    seed: int | None = None,
    evaluator: Evaluator | None = None,
    data_dir: str | None = None,
    device: str = "auto",
    max_failures: int | None = None,
    poll_interval: float = 1.0,
    db_timeout: float = DB_TIMEOUT,
    callbacks: list[Callback] | None = None,
) -> WorkerReport:
    """Work on the study until it holds its budget of completed trials; return what this worker did.

    Args:
        storage: an Optuna storage object (``bananas.storage.open_storage``, with a heartbeat
            for RDB storages) or URL.
        seed: this worker's sampler seed (give each worker its own: ``worker_seed``).
        evaluator: default: the one recorded in the study (``data_dir`` and ``device`` for training).
        max_failures: stop with RuntimeError after this many failed or pruned evaluations
            of this worker (default: the budget).
        poll_interval: seconds between looks at the study while running trials fill the budget.
        db_timeout: seconds to keep retrying a storage that does not answer.
        callbacks: called with (study, trial) after each trial this worker finishes.
    """
    retry = Retrying(db_timeout)
    study = retry(optuna.load_study, study_name=study_name, storage=storage)
    config = study_config(study)
    space = get_space(config["space"], config["dataset"], config.get("table"))
    evaluator = evaluator or from_description(config.get("evaluator", {}), space, data_dir=data_dir, device=device)
    constraints = Constraints(config.get("constraints", [])) or None
    study.sampler = make_sampler(config["method"], space, seed, constraints, evaluator, **config["sampler_options"])
    study.pruner = make_pruner(config.get("pruner"))
    budget = int(config["budget"])
    goal = (config.get("objectives", [OBJECTIVE]), config.get("constraints", []))  # objectives, constraints
    max_failures = budget if max_failures is None else max_failures
    report = WorkerReport()
    me = worker_name()
    try:
        while True:
            if STOP_REQUESTED.is_set():
                raise KeyboardInterrupt  # the signal's own exception landed where Python ignores it
            report.retried += retry(fail_dead_trials, study)
            complete, running = retry(_counts, study)
            budget = int(retry(lambda: study.user_attrs)[CONFIG]["budget"])  # a later search may raise it
            if complete >= budget:
                return report
            if complete + running >= budget:
                time.sleep(poll_interval)  # wait: a running trial may still fail
                continue
            state, trial_id = _run_one(study, space, evaluator, budget, me, retry, goal)
            if state == SKIPPED:
                report.skipped += 1
                continue
            report.completed += state == TrialState.COMPLETE
            report.failed += state != TrialState.COMPLETE
            if report.failed > max_failures:
                raise RuntimeError(
                    f"worker {me} stopped after {report.failed} failed or pruned evaluations; "
                    "see the trials' fail_reason and states"
                )
            if callbacks:
                frozen = retry(study._storage.get_trial, trial_id)
                for callback in callbacks:
                    callback(study, frozen)
    finally:
        report.outages = retry.outages


def _counts(study: optuna.Study) -> tuple[int, int]:
    """Return (completed by the search, running) trials."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
    return own_complete(trials), sum(t.state == TrialState.RUNNING for t in trials)


def _ask(study: optuna.Study) -> optuna.Trial:
    with warnings.catch_warnings():  # this worker records heartbeats itself (``Heartbeat``)
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
        return study.ask()


def _run_one(
    study: optuna.Study,
    space: Space,
    evaluator: Evaluator,
    budget: int,
    me: str,
    retry: Retrying,
    goal: tuple[list[str], list[str]],
) -> tuple[Any, int]:
    """Ask, claim, evaluate and tell one trial; return its final state (or ``SKIPPED``) and its id."""
    trial = retry(_ask, study)
    heartbeat = Heartbeat(study._storage, trial._trial_id)
    retry(heartbeat.beat)  # before the worker attr: a trial with one always has a heartbeat
    with heartbeat:
        try:
            retry(trial.set_user_attr, WORKER, me)
            if retry(surplus, study, trial, budget):
                retry(skip, study, trial, "not needed: running and completed trials already fill the budget")
                return SKIPPED, trial._trial_id
            try:
                arch = retry(space.suggest, trial)  # the proposal; its params are the claim
            except EvaluationFailed:  # a proposal that is itself a search (one-shot) failed; reason recorded
                retry(study.tell, trial, None, state=TrialState.FAIL, skip_if_finished=True)
                return TrialState.FAIL, trial._trial_id
            other = retry(duplicate_of, study, trial, space, arch)
            if other is not None:
                retry(trial.set_user_attr, DUPLICATE_OF, other)
                retry(skip, study, trial, f"trial {other} has the same architecture (proposed concurrently)")
                return SKIPPED, trial._trial_id
            retry(trial.set_user_attr, ARCH, space.to_string(arch))  # the claim held: the trial owns arch
            value, state = None, TrialState.COMPLETE
            try:
                value = evaluate(trial, arch, evaluator, retry, *goal)
            except optuna.TrialPruned:
                state = TrialState.PRUNED
            except EvaluationFailed:
                state = TrialState.FAIL
            except Exception as err:  # an evaluator's bug must not stop the other trials
                state = TrialState.FAIL
                retry(trial.set_user_attr, FAIL_REASON, f"{type(err).__name__}: {err}")
            retry(study.tell, trial, value, state=state, skip_if_finished=True)
            return state, trial._trial_id
        except KeyboardInterrupt:
            ignore_further_interrupts()
            frozen = study._storage.get_trial(trial._trial_id)
            if frozen.state == TrialState.RUNNING:
                give_back(study, frozen)
            raise
