"""Tools for tests and benchmarks: a throwaway PostgreSQL server, an audit of a study, killing a worker.

``with TemporaryPostgres() as pg: pg.url``: it needs the server binaries (Debian:
``apt-get install postgresql``; ``.ci/install-postgres`` installs them when missing).
The cluster lives in a temporary folder, listens on a free loopback port with
``trust`` authentication, and is removed on ``close()``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from bananas.spaces import Space
from bananas.trials import ARCH, FAILED_TRIAL, SKIPPED, WORKER, arch_of, is_warm_start, unfinished


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    candidates = [Path(os.path.realpath(found)).parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
        "'apt-get install postgresql' (.ci/install-postgres does so when they are missing)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TemporaryPostgres:
    """A PostgreSQL cluster of its own: ``url`` to connect; ``stop()``/``start()`` restart it in place."""

    def __init__(self) -> None:
        self._bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="bananas-pg-"))
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
            shutil.chown(self.root, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.root / "data"), "-U", "bananas", "-A", "trust", "--no-sync")
        self.url = f"postgresql+psycopg://bananas@127.0.0.1:{self.port}/postgres"
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_user, str(self._bin / tool), *args], check=True, capture_output=True, text=True)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    trials = [t for t in study.get_trials(deepcopy=False) if not is_warm_start(t)]

    def key(t: FrozenTrial) -> Any:
        arch = arch_of(t, space)
        return None if arch is None else space.key(arch)

    done = [t for t in trials if t.state == TrialState.COMPLETE]
    done_keys = [key(t) for t in done]
    later = {key(t) for t in trials if t.state in (TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING)}
    stopped = [t for t in trials if unfinished(t) and ARCH in t.user_attrs]  # those whose claim held
    return Audit(
        completed=len(done),
        duplicated=len(done_keys) - len(set(done_keys)),
        retried=sum(FAILED_TRIAL in t.system_attrs for t in done),
        lost=sum(key(t) not in later for t in stopped) + sum(t.state == TrialState.RUNNING for t in trials),
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
            if str(t.user_attrs.get(WORKER, "")).endswith(f":{proc.pid}") and ARCH in t.user_attrs:
                proc.kill()
                proc.wait()
                return t
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    raise TimeoutError(f"worker {proc.pid} evaluated nothing for {timeout:.0f} s")
