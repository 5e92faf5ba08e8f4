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
  anything is proposed for it (``_claims.surplus``).
- **No architecture evaluated twice.** A trial's params, once written, are its
  claim. The worker then reads every other trial; if one that is running,
  waiting, complete or failed in evaluation has the same canonical architecture,
  the trial is not evaluated (FAIL, ``skipped``, ``duplicate_of``; ``_claims``).
  Only a claim that held gets the user attr ``arch``: a worker stopped before
  that gives the claim up (FAIL, ``skipped``) instead of having it retried, as
  a concurrent trial may hold the same architecture.
- **Dead workers.** On RDB storages (SQLite, PostgreSQL) running trials record a
  heartbeat; one silent for the grace period is failed by the next worker that
  looks (Optuna's ``fail_stale_trials``) and Optuna's
  ``RetryHeartbeatStaleTrialCallback`` enqueues its architecture again. Journal
  files have no heartbeat in Optuna: there, running trials of a process of this
  host that no longer exists are failed and retried the same way (``_liveness``).
  A worker stopped by Ctrl-C or SIGTERM hands its trial back at once the same way.
- **The database going away.** Every storage call is retried with backoff for up to
  ``db_timeout`` seconds (``bananas.storage.Retrying``), then the worker stops with
  ``StorageUnavailable``. Nothing recorded is lost: a result that could not be
  told leaves its trial running, so the heartbeat has it retried.
"""

from bananas.workers._claims import duplicate_of, surplus
from bananas.workers._liveness import Heartbeat, fail_dead_trials, give_back, hand_back, worker_name
from bananas.workers._local import WorkerOptions, check_local_workers, spawn_workers, supervise
from bananas.workers._loop import WorkerReport, run_worker, worker_seed

__all__ = [
    "Heartbeat",
    "WorkerOptions",
    "WorkerReport",
    "check_local_workers",
    "duplicate_of",
    "fail_dead_trials",
    "give_back",
    "hand_back",
    "run_worker",
    "spawn_workers",
    "supervise",
    "surplus",
    "worker_name",
    "worker_seed",
]
