"""Which workers are alive: heartbeats of running trials, and the hand-back of trials whose worker is gone."""

from __future__ import annotations

import threading
import warnings
from datetime import datetime, timedelta
from typing import Any

import optuna
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from optuna.trial import FrozenTrial, TrialState

from bananas.processes import process_gone, process_name
from bananas.storage import GRACE_PERIOD, retry_callback
from bananas.trials import ARCH, WORKER, fail_unfinished

worker_name = process_name  # user attr ``worker`` of the trials this process evaluates


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


def hand_back(study: optuna.Study, trial: FrozenTrial, reason: str) -> int:
    """Fail a running trial that was not evaluated to the end and enqueue its architecture again (if it had
    one); return 1 if this call failed it (0 if another process already finished the trial)."""
    if not fail_unfinished(study, trial, reason, retry=True):
        return 0
    retry_callback()(study, study._storage.get_trial(trial._trial_id))
    return 1


def give_back(study: optuna.Study, trial: FrozenTrial) -> None:
    """End the running trial of a worker that was stopped (Ctrl-C, SIGTERM). A trial whose claim held
    (user attr ``arch``, set after the duplicate check) is handed back: failed for retry, its architecture
    enqueued again. One stopped before that gives its claim up (FAIL, ``skipped``, no copy): a concurrent
    trial may hold the same architecture, and a copy would evaluate it twice."""
    if ARCH in trial.user_attrs:
        hand_back(study, trial, "its worker was stopped (Ctrl-C)")
    else:
        fail_unfinished(study, trial, "its worker was stopped before its claim was checked", retry=False)


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
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fail_stale_trials is experimental")
            optuna.storages.fail_stale_trials(study)
        count += max(0, len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,))) - before)
    grace = timedelta(seconds=getattr(getattr(storage, "_backend", storage), "grace_period", None) or GRACE_PERIOD)
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = str(t.user_attrs.get(WORKER, ""))
        if not owner and t.datetime_start and datetime.now() - t.datetime_start > grace:
            count += hand_back(study, t, "no worker took it: its process died while asking")
        elif not heartbeat and owner and process_gone(owner):
            count += hand_back(study, t, f"its worker {owner} is gone")
    return count
