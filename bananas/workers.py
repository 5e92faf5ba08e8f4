"""Many workers, one study: ``bananas worker`` and ``bananas search --workers N``.

A worker needs only the storage and the study's name: the study's user attr
``"bananas"`` says what to search (space, dataset, method, budget, options,
evaluator). Each worker loops until the study holds ``budget`` completed trials:
ask a trial, let the sampler propose from the completed trials and the pending
ones (running or waiting, from every worker), evaluate, tell.

How the guarantees are kept:

- **Exactly ``budget`` completed trials.** A worker asks for a trial only while
  completed + running trials < budget; otherwise it waits (a running trial may
  still fail). Two workers may ask at the same moment, so after asking each counts
  again, with only the trials created before its own: if those fill the budget, its
  trial is *surplus* and ends at once as FAIL with user attr ``skipped``, before
  anything is proposed for it.
- **No architecture evaluated twice.** A trial's params, once written, are its
  claim. The worker then reads every other trial; if one that is running,
  waiting, complete or failed in evaluation has the same canonical architecture,
  the trial is not evaluated (FAIL, ``skipped``, ``duplicate_of``). Each worker
  writes before it reads, so of two racing trials at least the later reader sees
  the other (rarely both skip; never both evaluate).
- **Dead workers.** On RDB storages (SQLite, PostgreSQL) running trials record a
  heartbeat; one silent for the grace period is failed by the next worker that
  looks (Optuna's ``fail_stale_trials``) and Optuna's
  ``RetryHeartbeatStaleTrialCallback`` enqueues its architecture again. Journal
  files have no heartbeat in Optuna: there, running trials of a process of this
  host that no longer exists are failed and retried the same way. A worker stopped
  by Ctrl-C hands its trial back at once the same way.
- **The database going away.** Every storage call is retried with backoff for up to
  ``db_timeout`` seconds (``bananas.storage.Retrying``), then the worker stops with
  ``StorageUnavailable``. Nothing recorded is lost: a result that could not be
  told leaves its trial running, so the heartbeat has it retried.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import optuna
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from optuna.trial import FrozenTrial, TrialState

from bananas.samplers._base import FAIL_REASON, RETRY, SKIPPED, failed_evaluation, trial_params
from bananas.search import (
    CONFIG_ATTR,
    EvaluationFailed,
    make_pruner,
    make_sampler,
    record,
    reporter,
)
from bananas.spaces import Space, get_space
from bananas.storage import DB_TIMEOUT, GRACE_PERIOD, WORKER, Retrying, retry_callback
from bananas.warmstart import WARM_START

# A worker records heartbeats itself (``Heartbeat``) and calls the experimental ``fail_stale_trials`` on purpose.
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
warnings.filterwarnings("ignore", message=".*fail_stale_trials is experimental")

DUPLICATE_OF = "duplicate_of"

Callback = Callable[[optuna.Study, FrozenTrial], None]


@dataclass
class WorkerReport:
    """What one worker did."""

    completed: int = 0
    failed: int = 0  # failed or pruned evaluations
    skipped: int = 0  # surplus trials and concurrent duplicates, never evaluated
    retried: int = 0  # trials of dead workers this one failed and enqueued again
    outages: int = 0  # times the storage stopped answering


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_seed(seed: int | None, index: int) -> int:
    """Return the sampler seed of worker ``index`` of a study seeded ``seed`` (distinct per worker)."""
    return int(np.random.SeedSequence([seed or 0, index]).generate_state(1)[0])


def spawn_workers(
    storage_url: str, study_name: str, n: int, seed: int | None = 0, flags: list[str] | None = None, **popen: Any
) -> list[subprocess.Popen]:
    """Start ``n`` ``bananas worker`` processes on the study, each with its own seed.

    The storage URL reaches them through ``$BANANAS_STORAGE``, not the command line (where
    ``ps`` would show its password); they share this machine's cores (``OMP_NUM_THREADS``).
    """
    env = {**os.environ, "BANANAS_STORAGE": storage_url}
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // n)))
    command = [sys.executable, "-m", "bananas.cli", "worker", "--study-name", study_name, *(flags or [])]
    return [
        subprocess.Popen([*command, "--seed", str(worker_seed(seed, i) % 2**31)], env=env, **popen) for i in range(n)
    ]


def study_config(study: optuna.Study) -> dict[str, Any]:
    """Return the study's bananas config; ValueError if bananas did not make it."""
    config = study.user_attrs.get(CONFIG_ATTR)
    if config is None or "sampler_options" not in config:
        raise ValueError(
            f"study {study.study_name!r} was not made by this version of 'bananas search'; "
            "create it with 'bananas search ... --workers N' (it records what workers need)"
        )
    return dict(config)


def evaluator_from_config(config: dict[str, Any], space: Space, data_dir: str | None, device: str) -> Any:
    """Return the evaluator the study was made with (training settings from the study, data and device local)."""
    described = config.get("evaluator", {})
    if described.get("kind", "table") == "table":
        from bananas.evaluators import TabularEvaluator

        return TabularEvaluator(space, simulated_cost=described.get("simulated_cost"))  # type: ignore[arg-type]
    from dataclasses import fields

    from bananas.training import TrainConfig, TrainingEvaluator

    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in described.items() if k in names}
    train_config = TrainConfig(**{**settings, "device": device})
    return TrainingEvaluator(space, config["dataset"], data_dir, train_config)  # type: ignore[arg-type]


class Heartbeat:
    """Records a trial's heartbeat every interval from a thread while the trial runs.

    Unlike Optuna's own thread, it survives storage errors (a database restart), so
    a live worker's trial is not taken for dead once the database is back.
    """

    def __init__(self, storage: Any, trial_id: int) -> None:
        self._storage = storage
        self._trial_id = trial_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Record one heartbeat now."""
        if is_heartbeat_enabled(self._storage):
            self._storage.record_heartbeat(self._trial_id)

    def __enter__(self) -> Heartbeat:
        if is_heartbeat_enabled(self._storage):
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        interval = self._storage.get_heartbeat_interval()
        while not self._stop.wait(interval):
            try:
                self._storage.record_heartbeat(self._trial_id)
            except Exception:  # noqa: BLE001 - the database may be restarting; beat again later
                pass


def fail_dead_trials(study: optuna.Study) -> int:
    """Fail the running trials whose worker is gone and enqueue their architectures again; return how many.

    RDB storages: Optuna's heartbeat check. Other storages (journal files): trials of a
    process of this host that no longer exists. Either: trials that no worker took
    (no ``worker`` attr, which a worker sets right after asking) for the grace period:
    their process died while asking.
    """
    storage = study._storage
    heartbeat = isinstance(storage, BaseHeartbeat) and is_heartbeat_enabled(storage)
    count = 0
    if heartbeat:
        before = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        optuna.storages.fail_stale_trials(study)
        count += max(0, len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,))) - before)
    grace = timedelta(seconds=getattr(getattr(storage, "_backend", storage), "grace_period", None) or GRACE_PERIOD)
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = str(t.user_attrs.get(WORKER, ""))
        name, _, pid = owner.rpartition(":")
        if not owner and t.datetime_start and datetime.now() - t.datetime_start > grace:
            count += hand_back(study, t, "no worker took it: its process died while asking")
        elif not heartbeat and name == host and pid.isdigit() and not _alive(int(pid)):
            count += hand_back(study, t, f"its worker {owner} is gone")
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def hand_back(study: optuna.Study, trial: FrozenTrial, reason: str) -> int:
    """Fail a running trial that was not evaluated to the end and enqueue its architecture again (if it had
    one); return 1 if this call failed it (0 if another process already finished the trial)."""
    storage = study._storage
    try:
        storage.set_trial_user_attr(trial._trial_id, FAIL_REASON, reason)
        storage.set_trial_user_attr(trial._trial_id, RETRY, True)
        if not storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
            return 0
    except optuna.exceptions.UpdateFinishedTrialError:
        return 0
    retry_callback()(study, storage.get_trial(trial._trial_id))
    return 1


def _counts(study: optuna.Study) -> tuple[int, int]:
    """Return (completed by the search, running) trials."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
    complete = sum(t.state == TrialState.COMPLETE and WARM_START not in t.user_attrs for t in trials)
    return complete, sum(t.state == TrialState.RUNNING for t in trials)


def surplus(study: optuna.Study, trial: optuna.Trial, budget: int) -> bool:
    """Whether the completed trials and the running ones created before ``trial`` fill the budget."""
    mine = trial._trial_id
    taken = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
        if t.state == TrialState.COMPLETE:
            taken += WARM_START not in t.user_attrs
        else:
            taken += t._trial_id < mine
    return taken >= budget


def duplicate_of(study: optuna.Study, trial: optuna.Trial, space: Space, arch: Any) -> int | None:
    """Return the number of another trial that holds (or held, or will evaluate) ``arch``, if any."""
    key = space.key(arch)
    names = space.distributions().keys()
    for t in study.get_trials(deepcopy=False):
        if t._trial_id == trial._trial_id:
            continue
        live = t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING) or (
            t.state == TrialState.FAIL and failed_evaluation(t)
        )
        params = trial_params(t)
        if live and all(n in params for n in names) and space.key(space.from_params(params)) == key:
            return t.number
    return None


STOP_REQUESTED = threading.Event()


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM (a scheduler's preemption) stop this process's worker.

    The handler raises KeyboardInterrupt where the worker is, so its running
    trial is handed back at once. Python drops an exception raised while a
    finalizer runs, so the handler also sets ``STOP_REQUESTED``, which the
    worker checks before each trial.
    """

    def stop(signum: int, frame: Any) -> None:
        STOP_REQUESTED.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def run_worker(
    storage: Any,
    study_name: str,
    *,
    seed: int | None = None,
    evaluator: Any = None,
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
    evaluator = evaluator or evaluator_from_config(config, space, data_dir, device)
    study.sampler = make_sampler(config["method"], space, seed, **config["sampler_options"])
    study.pruner = make_pruner(config.get("pruner"))
    budget = int(config["budget"])
    max_failures = budget if max_failures is None else max_failures
    report = WorkerReport()
    me = worker_name()
    try:
        while True:
            if STOP_REQUESTED.is_set():
                raise KeyboardInterrupt  # the signal's own exception landed where Python ignores it
            report.retried += retry(fail_dead_trials, study)
            complete, running = retry(_counts, study)
            budget = int(retry(lambda: study.user_attrs)[CONFIG_ATTR]["budget"])  # a later search may raise it
            if complete >= budget:
                return report
            if complete + running >= budget:
                time.sleep(poll_interval)  # wait: a running trial may still fail
                continue
            state, trial_id = _run_one(study, space, evaluator, budget, me, retry)
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


def _run_one(
    study: optuna.Study, space: Space, evaluator: Any, budget: int, me: str, retry: Retrying
) -> tuple[Any, int]:
    """Ask, claim, evaluate and tell one trial; return its final state (or ``SKIPPED``) and its id."""
    trial = retry(study.ask)
    heartbeat = Heartbeat(study._storage, trial._trial_id)
    retry(heartbeat.beat)  # before the worker attr: a trial with one always has a heartbeat
    with heartbeat:
        try:
            retry(trial.set_user_attr, WORKER, me)
            if retry(surplus, study, trial, budget):
                _skip(study, trial, "not needed: running and completed trials already fill the budget", retry)
                return SKIPPED, trial._trial_id
            arch = retry(space.suggest, trial)  # the proposal; its params are the claim
            retry(trial.set_user_attr, "arch", space.to_string(arch))
            other = retry(duplicate_of, study, trial, space, arch)
            if other is not None:
                retry(trial.set_user_attr, DUPLICATE_OF, other)
                _skip(study, trial, f"trial {other} has the same architecture (proposed concurrently)", retry)
                return SKIPPED, trial._trial_id
            value, state = None, TrialState.COMPLETE
            try:
                result = evaluator.evaluate(arch, on_epoch=_retrying_reporter(trial, retry))
                value = retry(record, trial, result)
            except optuna.TrialPruned as err:
                state = TrialState.PRUNED
                retry(trial.set_user_attr, "pruned", str(err))
            except EvaluationFailed:
                state = TrialState.FAIL
            except Exception as err:  # an evaluator's bug must not stop the other trials
                state = TrialState.FAIL
                retry(trial.set_user_attr, FAIL_REASON, f"{type(err).__name__}: {err}")
            retry(study.tell, trial, value, state=state, skip_if_finished=True)
            return state, trial._trial_id
        except KeyboardInterrupt:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the hand-back short
            frozen = study._storage.get_trial(trial._trial_id)
            if frozen.state == TrialState.RUNNING:
                hand_back(study, frozen, "its worker was stopped (Ctrl-C)")
            raise


def _skip(study: optuna.Study, trial: optuna.Trial, reason: str, retry: Retrying) -> None:
    retry(trial.set_user_attr, SKIPPED, True)
    retry(trial.set_user_attr, FAIL_REASON, reason)
    retry(study.tell, trial, state=TrialState.FAIL, skip_if_finished=True)


def _retrying_reporter(trial: optuna.Trial, retry: Retrying) -> Callable[[int, float], None]:
    on_epoch = reporter(trial)
    return lambda epoch, valid_acc: retry(on_epoch, epoch, valid_acc)


@dataclass
class Audit:
    """A study's bookkeeping after (or during) a run with workers."""

    completed: int  # COMPLETE trials of the search (warm-start ones not counted)
    duplicated: int  # COMPLETE trials whose architecture another COMPLETE trial already has
    retried: int  # trials of dead or stopped workers that were enqueued again and completed
    lost: int  # interrupted trials whose architecture was never evaluated again, plus trials still RUNNING
    skipped: int  # surplus trials and concurrent duplicates, ended before evaluation


def audit(study: optuna.Study, space: Space) -> Audit:
    """Count what a run with workers did to the study (see ``Audit``)."""
    names = space.distributions().keys()
    trials = [t for t in study.get_trials(deepcopy=False) if WARM_START not in t.user_attrs]

    def key(t: FrozenTrial) -> Any:
        params = trial_params(t)
        return space.key(space.from_params(params)) if all(n in params for n in names) else None

    done = [t for t in trials if t.state == TrialState.COMPLETE]
    done_keys = [key(t) for t in done]
    later = {key(t) for t in trials if t.state in (TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING)}
    interrupted = [
        t
        for t in trials
        if t.state == TrialState.FAIL and not failed_evaluation(t) and SKIPPED not in t.user_attrs and key(t)
    ]
    return Audit(
        completed=len(done),
        duplicated=len(done_keys) - len(set(done_keys)),
        retried=sum("failed_trial" in t.system_attrs for t in done),
        lost=sum(key(t) not in later for t in interrupted) + sum(t.state == TrialState.RUNNING for t in trials),
        skipped=sum(SKIPPED in t.user_attrs for t in trials),
    )


def kill_mid_evaluation(study: optuna.Study, proc: subprocess.Popen, timeout: float = 120) -> FrozenTrial:
    """SIGKILL worker ``proc`` while it evaluates a trial; return that trial (for fault tests and benchmarks).

    The worker is frozen (SIGSTOP) first and killed only if its trial is still running.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.send_signal(signal.SIGSTOP)
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if str(t.user_attrs.get(WORKER, "")).endswith(f":{proc.pid}") and "arch" in t.user_attrs:
                proc.kill()
                proc.wait()
                return t
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise TimeoutError(f"worker {proc.pid} evaluated nothing for {timeout:.0f} s")
