"""Opening Optuna storages: URLs with masked passwords, heartbeats for workers, retries when the database goes away.

Which storage fits which use:

- ``sqlite:///bananas.db`` (the default): one process (``bananas search``).
- a journal file, ``PATH.log`` (Optuna's ``JournalFileStorage``): several worker processes on one machine.
- ``postgresql://user@host:5432/db``: workers on many machines.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import optuna
import sqlalchemy.exc
from optuna.exceptions import ExperimentalWarning, StorageInternalError

from bananas.trials import ARCH, FAIL_REASON, RETRY, WORKER

DEFAULT_STORAGE = "sqlite:///bananas.db"
JOURNAL_SUFFIX = ".log"
HEARTBEAT_INTERVAL = 5  # seconds between a running trial's heartbeats (RDB storages)
GRACE_PERIOD = 30  # seconds without a heartbeat after which a running trial is failed and retried
DB_TIMEOUT = 120.0  # seconds a worker keeps retrying a storage that does not answer
SCHEMA_ATTEMPTS = 5  # tries to open a new database while another process creates its tables

# What a storage raises while its database restarts or cannot be reached.
DB_ERRORS = (StorageInternalError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)

T = TypeVar("T")


class StorageUnavailable(RuntimeError):
    """The storage did not answer within the retry time."""


class StorageError(ValueError):
    """A storage URL that cannot be used; the message names the server and the fix, never the password."""


_USERINFO = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)(?P<password>.*)@(?P<tail>[^@]*)$", re.DOTALL)


def _password(url: str) -> str | None:
    """Return the password written in ``url``, also when the URL is malformed beyond SQLAlchemy's parser."""
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
        if password:
            return str(password)
    except Exception:  # malformed (a bad port, an unclosed IPv6 bracket): read the userinfo by hand
        pass
    found = _USERINFO.match(url)
    return found["password"] if found and found["password"] else None


def mask(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``, whatever the rest of the URL looks like."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable: mask the userinfo's password by hand
        found = _USERINFO.match(url)
        return f"{found['head']}***@{found['tail']}" if found else url


def scrub(text: str, url: str) -> str:
    """Return ``text`` (an error message about ``url``) with ``url``'s password masked wherever it appears."""
    password = _password(url)
    text = text.replace(url, mask(url))
    return text.replace(password, "***") if password else text


def is_journal(url: str) -> bool:
    """Whether ``url`` names a journal file (a path ending in ``.log``, no ``://``)."""
    return "://" not in url and url.endswith(JOURNAL_SUFFIX)


def open_storage(url: str, *, heartbeat_interval: int | None = None, grace_period: int | None = None) -> Any:
    """Return the Optuna storage of ``url``: a journal file, or an RDB storage (SQLite, PostgreSQL, MySQL).

    PostgreSQL/MySQL connections time out after 5 s and are checked before each use
    (so a restarted server is reconnected to). With ``heartbeat_interval``, running trials
    record heartbeats; one silent for ``grace_period`` seconds is failed and its
    architecture enqueued again (Optuna's ``RetryHeartbeatStaleTrialCallback``).
    Raises ``StorageError`` (one line, password masked) for a URL that cannot be used; a database
    server that does not answer ends the attempt within seconds.
    """
    if is_journal(url):
        check_journal_tail(url)
        try:
            storage = _open(url, heartbeat_interval, grace_period)
            storage.get_all_studies()  # replays the log now: a damaged record shows here, not mid-search
            return storage
        except Exception as err:  # a damaged record: name the file and the line
            raise StorageError(journal_error(url, err)) from None
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            return _open(url, heartbeat_interval, grace_period)
        except sqlalchemy.exc.DBAPIError as err:
            if not _schema_race(err) or attempt + 1 == SCHEMA_ATTEMPTS:
                raise StorageError(storage_error(url, err)) from None
            time.sleep(0.2 * (attempt + 1))
        except Exception as err:  # sqlalchemy/driver errors vary; all mean the URL cannot be used
            raise StorageError(storage_error(url, err)) from None
    raise AssertionError("unreachable")


def _schema_race(err: sqlalchemy.exc.DBAPIError) -> bool:
    """Whether ``err`` comes from another process creating the same tables at the same moment: a table
    that 'already exists' (SQLite, PostgreSQL) or a duplicate row in Optuna's version table."""
    return isinstance(err, sqlalchemy.exc.IntegrityError) or "already exists" in str(err)


def journal_error(path: str, err: Exception) -> str:
    """Return one line saying which line of a journal file cannot be read, and what to do."""
    import json

    what = "a record is damaged"
    try:
        with open(path, "rb") as f:
            for number, line in enumerate(f, start=1):
                try:
                    json.loads(line)
                except ValueError:
                    what = f"line {number} is not a JSON record"
                    break
    except OSError:
        pass
    return (
        f"journal file {path!r} cannot be read: {what} ({_first_line(err)}); "
        "restore it from a copy, or move it away and start a new file"
    )


def check_journal_tail(path: str) -> None:
    """StorageError if the journal file's last record was cut off or damaged (a crash mid-write): appending
    to it would glue the next record onto the broken line and make the whole file unreadable. Read under
    the journal's own lock, so that a record another process is writing is not taken for a cut-off one."""
    import json

    from optuna.storages.journal import JournalFileSymlinkLock

    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return
    lock = JournalFileSymlinkLock(path)
    lock.acquire()
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - (1 << 20)))
            tail = f.read()
    finally:
        lock.release()
    complete = tail[: tail.rfind(b"\n") + 1]  # up to the last newline
    last = complete[complete.rfind(b"\n", 0, len(complete) - 1) + 1 :]  # the last complete line
    try:
        json.loads(last)
        if len(complete) == len(tail):
            return
        keep = size - len(tail) + len(complete)  # a cut-off record after the last newline
    except ValueError:
        keep = size - len(tail) + len(complete) - len(last)  # the last line itself is broken
    raise StorageError(
        f"journal file {path!r} ends in a cut-off record (its last {size - keep} bytes, from a crash "
        f"mid-write); nothing was written to it. Keep a copy, then cut the broken tail off: "
        f"cp {path} {path}.bak && truncate -s {keep} {path}"
    )


def storage_error(url: str, err: Exception) -> str:
    """Return one line saying why ``url`` cannot be used, naming host and port and how to fix it."""
    from sqlalchemy.engine import make_url

    reason = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
    if isinstance(err, ImportError):
        hint = "pip install 'bananas[postgres]'" if url.startswith("postgres") else "install its Python driver"
        reason = f"no database driver ({err.__cause__ or err}); {hint}"
    try:
        parsed = make_url(url)
        where = f" (server {parsed.host}:{parsed.port or 'default port'})" if parsed.host else ""
    except Exception:  # a malformed URL: say so
        where, reason = "", f"malformed URL ({reason})"
    return scrub(
        f"cannot open storage {mask(url)!r}{where}: {reason}. "
        "Give an Optuna storage URL, e.g. sqlite:///bananas.db or postgresql://user@host:5432/db, "
        "or a journal file PATH.log",
        url,
    )


def _open(url: str, heartbeat_interval: int | None, grace_period: int | None) -> Any:
    if is_journal(url):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(url))
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": 5}
    heartbeat: dict[str, Any] = {}
    if heartbeat_interval is not None:
        heartbeat = {
            "heartbeat_interval": heartbeat_interval,
            "grace_period": grace_period or GRACE_PERIOD,
            "heartbeat_stale_trial_callback": retry_callback(),
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **heartbeat)


RETRIED_ATTRS = (FAIL_REASON, RETRY, WORKER)  # bookkeeping of the old trial, not copied to its retry

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ExperimentalWarning)

    class RetryArchitecture(optuna.storages.RetryHeartbeatStaleTrialCallback):
        """Optuna's retry of a trial whose worker is gone (system attr ``failed_trial``), for trials that
        had their whole architecture (user attr ``arch``): one stopped while its params were being set
        had none yet, and half-fixed params would mix with another proposal."""

        def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            if ARCH not in trial.user_attrs:
                return
            trial = copy.deepcopy(trial)
            trial.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in RETRIED_ATTRS}
            super().__call__(study, trial)


def retry_callback() -> RetryArchitecture:
    """Return the callback that enqueues a failed trial's architecture again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RetryArchitecture()


class Retrying:
    """Calls storage operations again, with exponential backoff, while the database does not answer.

    After ``timeout`` seconds of failures in a row it raises ``StorageUnavailable`` naming the
    last error; trials recorded so far stay in the storage.
    """

    def __init__(self, timeout: float = DB_TIMEOUT, where: str = "the storage") -> None:
        self.timeout = timeout
        self.where = where
        self.outages = 0

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        start: float | None = None
        delay = 0.25
        while True:
            try:
                result = fn(*args, **kwargs)
            except DB_ERRORS as err:
                now = time.monotonic()
                if start is None:
                    start = now
                    self.outages += 1
                    print(f"{self.where} does not answer ({_first_line(err)}); retrying", file=sys.stderr)
                if now - start > self.timeout:
                    raise StorageUnavailable(
                        f"{self.where} did not answer for {self.timeout:.0f} s ({_first_line(err)}). "
                        "Trials recorded so far are kept; start again when the database is back"
                    ) from err
                time.sleep(delay)
                delay = min(2 * delay, 5.0)
                continue
            if start is not None:
                print(f"{self.where} answers again after {time.monotonic() - start:.1f} s", file=sys.stderr)
            return result


def _first_line(err: BaseException) -> str:
    cause = err.__cause__ or err
    return next((line.strip() for line in str(cause).splitlines() if line.strip()), type(cause).__name__)
