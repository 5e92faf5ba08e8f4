"""Worker processes on this machine: ``bananas search --workers N`` starts and watches them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna

from bananas.storage import DB_TIMEOUT, GRACE_PERIOD, HEARTBEAT_INTERVAL, Retrying
from bananas.trials import n_complete
from bananas.workers._loop import worker_seed


@dataclass
class WorkerOptions:
    """The settings of a ``bananas worker`` process (its documented command-line flags)."""

    heartbeat_interval: int = HEARTBEAT_INTERVAL
    grace_period: int = GRACE_PERIOD
    db_timeout: float = DB_TIMEOUT
    data_dir: str | None = None
    device: str = "auto"
    quiet: bool = True

    def flags(self) -> list[str]:
        """Return the ``bananas worker`` flags of these settings."""
        flags = ["--quiet"] if self.quiet else []
        for name in ("heartbeat_interval", "grace_period", "db_timeout", "data_dir", "device"):
            if getattr(self, name) is not None:
                flags += [f"--{name.replace('_', '-')}", str(getattr(self, name))]
        return flags


WORKERS_PER_CORE = 4  # local workers beyond this many per core only wait for each other


def check_local_workers(n: int, budget: int) -> None:
    """ValueError unless ``n`` local worker processes make sense: at most the budget (more would find
    nothing to do) and at most ``WORKERS_PER_CORE`` per core of this machine."""
    cores = os.cpu_count() or 1
    if n > min(budget, WORKERS_PER_CORE * cores):
        raise ValueError(
            f"--workers {n} is more than this machine runs usefully: at most {min(budget, WORKERS_PER_CORE * cores)} "
            f"(the budget is {budget}, and {WORKERS_PER_CORE} per core on {cores} cores); for more, start "
            "'bananas worker' on other machines"
        )


def spawn_workers(
    storage_url: str,
    study_name: str,
    n: int,
    seed: int | None = 0,
    options: WorkerOptions | None = None,
    **popen: Any,
) -> list[subprocess.Popen]:
    """Start ``n`` ``bananas worker`` processes on the study, each with its own seed.

    The storage URL reaches them through ``$BANANAS_STORAGE``, not the command line (where
    ``ps`` would show its password); they share this machine's cores (``OMP_NUM_THREADS``).
    """
    env = {**os.environ, "BANANAS_STORAGE": storage_url}
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // n)))
    flags = (options or WorkerOptions()).flags()
    command = [sys.executable, "-m", "bananas", "worker", "--study-name", study_name, *flags]
    return [
        subprocess.Popen([*command, "--seed", str(worker_seed(seed, i) % 2**31)], env=env, **popen) for i in range(n)
    ]


def supervise(
    procs: list[subprocess.Popen],
    study: optuna.Study,
    *,
    on_progress: Callable[[int], None] | None = None,
    db_timeout: float = DB_TIMEOUT,
) -> list[str]:
    """Wait for local workers to finish; return one line per worker that exited with an error.

    ``on_progress`` gets the study's count of completed trials twice a second. On any
    exception (Ctrl-C included) every worker is asked to stop (SIGINT: it hands its trial
    back), killed after 30 s (its trial is then retried through the heartbeat), and the
    exception goes on.
    """
    retry = Retrying(db_timeout)  # the workers ride out a database restart; so does the progress
    try:
        while any(p.poll() is None for p in procs):
            if on_progress is not None:
                on_progress(retry(n_complete, study))
            time.sleep(0.5)
    except BaseException:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        raise
    if on_progress is not None:
        on_progress(retry(n_complete, study))
    return [f"worker {i} exited with code {p.returncode}" for i, p in enumerate(procs) if p.returncode]
