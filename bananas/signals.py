"""Stopping on Ctrl-C and SIGTERM (a scheduler's preemption), for searches and workers alike."""

from __future__ import annotations

import signal
import threading
from typing import Any

STOP_REQUESTED = threading.Event()


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM stop this process's search or worker.

    The handler raises KeyboardInterrupt where the process is, so a running
    trial is handed back at once. Python drops an exception raised while a
    finalizer runs, so the handler also sets ``STOP_REQUESTED``, which loops
    check (``stop_requested``) and ``interrupted`` reads.
    """

    def stop(signum: int, frame: Any) -> None:
        STOP_REQUESTED.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def ignore_further_interrupts() -> None:
    """Ignore SIGINT from now on (in the main thread): a second Ctrl-C must not cut a hand-back short."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def interrupted(err: BaseException | None) -> bool:
    """Whether ``err`` is Ctrl-C or was raised while handling it (Optuna 5.0's ``_run_trial`` turns a
    Ctrl-C during its ``tell`` into an ``UnboundLocalError``, and a failed ``tell`` of the stopped trial
    into an ``AssertionError``): any error after SIGINT/SIGTERM (``stop_on_signals``) counts."""
    while err is not None:
        if isinstance(err, KeyboardInterrupt):
            return True
        err = err.__context__
    return STOP_REQUESTED.is_set()
