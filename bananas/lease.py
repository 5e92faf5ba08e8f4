"""One process per plain search: ``bananas search`` (``run_search``) holds its study while it runs.

Two processes running the same plain search on one study would overshoot its
budget and evaluate architectures twice, and each would take the other's
running trials for leftovers of a killed run. So a search writes its claim
(study system attr ``search_process.HOST:PID``, out of the dashboard's way) and then reads every claim: if
another live process claims the study, it steps back. Both write before they
read, so of two searches started at once at least one sees the other (rarely
both step back; never both run). A claim of a process of this host that no
longer exists (kill -9) is ignored; the claim is released when the search ends.
Workers (``bananas worker``) share a study by design and take no lease.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import optuna

from bananas.processes import process_gone, process_name

PREFIX = "search_process."


class StudyBusy(RuntimeError):
    """Another process runs a search on the study."""


@contextmanager
def search_lease(study: optuna.Study) -> Iterator[None]:
    """Hold the study for this process's search; ``StudyBusy`` naming the other process otherwise."""
    storage, study_id, me = study._storage, study._study_id, process_name()
    storage.set_study_system_attr(study_id, PREFIX + me, datetime.now().isoformat(timespec="seconds"))
    try:
        others = [
            key.removeprefix(PREFIX)
            for key, since in storage.get_study_system_attrs(study_id).items()
            if key.startswith(PREFIX) and since is not None and key != PREFIX + me
        ]
        live = [name for name in others if not process_gone(name)]
        if live:
            raise StudyBusy(
                f"study {study.study_name!r} is being searched by process {live[0]}; wait for it to finish "
                "(or stop it), or run several processes on one study with 'bananas search --workers N'"
            )
        yield
    finally:
        storage.set_study_system_attr(study_id, PREFIX + me, None)
