"""Claims on the study: a trial's params are its claim, read back against every other trial.

Each worker writes before it reads, so of two racing trials at least the later
reader sees the other (rarely both step back; never both evaluate).
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import TrialState

from bananas.spaces import Arch, Space
from bananas.trials import FinishedArchs, failed_evaluation, is_warm_start


def surplus(study: optuna.Study, trial: optuna.Trial, budget: int) -> bool:
    """Whether the completed trials and the running ones created before ``trial`` fill the budget."""
    mine = trial._trial_id
    taken = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
        if t.state == TrialState.COMPLETE:
            taken += not is_warm_start(t)
        else:
            taken += t._trial_id < mine
    return taken >= budget


_ARCH_OF = FinishedArchs()  # this process's claims read every trial of the study each time


def duplicate_of(study: optuna.Study, trial: optuna.Trial, space: Space, arch: Arch) -> int | None:
    """Return the number of another trial that holds (or held, or will evaluate) ``arch``, if any."""
    key = space.key(arch)
    for t in study.get_trials(deepcopy=False):
        if t._trial_id == trial._trial_id:
            continue
        live = t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING) or (
            t.state == TrialState.FAIL and failed_evaluation(t)
        )
        other: Any = _ARCH_OF(study, t, space) if live else None
        if other is not None and space.key(other) == key:
            return t.number
    return None
