"""Warm start: evaluations from an earlier search seed a new one.

Sources are a JSONL log (``bananas export``) or a bananas study on any
Optuna storage. See ``WarmStart`` for what they become in the new study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from bananas.objectives import OBJECTIVE
from bananas.spaces import Space
from bananas.trials import CONFIG, WARM_START, is_warm_start


@dataclass
class WarmStart:
    """Evaluations from an earlier search (``bananas.exchange`` records) and where they came from.

    Same space and dataset: the prior COMPLETE evaluations are added to the
    study once, as trials with user attr ``warm_start`` (the source); they are
    observations, never evaluated again, and not counted in the budget.
    Another dataset of the same space (transfer): the prior evaluations become
    BANANAS's transfer prior (``transfer_pairs``, ``bananas.transfer``), used as
    far as the new task's own observations agree with them; they are never
    observations of the new task.
    """

    source: str
    records: list[dict[str, Any]]

    def __post_init__(self) -> None:
        from bananas.exchange import records_space

        self.space, self.dataset = records_space(self.records, f"warm start {self.source!r}")

    def transfers_to(self, space: Space) -> bool:
        """Whether these records come from another dataset of ``space`` (ValueError for another space)."""
        if self.space != space.name:
            raise ValueError(f"warm start {self.source!r} is of space {self.space!r}, not {space.name!r}")
        return self.dataset != space.dataset

    def transfer_pairs(self, space: Space) -> list[tuple[str, float]]:
        """Return ``(architecture id, value)`` of the prior COMPLETE evaluations that are architectures of
        ``space`` (another dataset may have other operations); ValueError if fewer than 2 are."""
        pairs = []
        for r in self.records:
            if r["state"] == "COMPLETE":
                try:
                    arch = space.from_string(r["arch"])
                except ValueError:
                    continue
                if space.is_valid(arch):
                    pairs.append((space.to_string(arch), float(r["value"])))
        if len(pairs) < 2:
            raise ValueError(
                f"warm start {self.source!r} has {len(pairs)} completed evaluations of architectures of "
                f"{space.name} {space.dataset}; transfer needs at least 2"
            )
        return pairs

    def add_observations(self, study: optuna.Study, space: Space) -> None:
        """Add the prior COMPLETE evaluations to ``study`` (once per source)."""
        if any(t.user_attrs.get(WARM_START) == self.source for t in study.get_trials(deepcopy=False)):
            return
        from bananas.exchange import records_to_trials

        config = study.user_attrs.get(CONFIG, {})
        goal = (config.get("objectives", [OBJECTIVE]), config.get("constraints", []))
        trials = records_to_trials([r for r in self.records if r["state"] == "COMPLETE"], space, *goal)
        for t in trials:
            t.set_user_attr(WARM_START, self.source)
        study.add_trials(trials)


def load_warm_start(source: str, study_name: str | None = None, *, skip_malformed: bool = False) -> WarmStart:
    """Read prior evaluations from a JSONL log (``bananas export``), or an Optuna storage URL (or journal
    file ``PATH.log``) and a study name."""
    from bananas.exchange import read_log, trial_record
    from bananas.spaces import get_space
    from bananas.storage import is_journal, open_storage

    if "://" not in source and not (study_name and is_journal(source)):
        return WarmStart(source, read_log(source, skip_malformed=skip_malformed))
    if not study_name:
        raise ValueError("a warm start from a storage URL needs the study name (--warm-start-study)")
    storage = open_storage(source)
    try:
        study = optuna.load_study(storage=storage, study_name=study_name)
    except KeyError:
        names = ", ".join(optuna.get_all_study_names(storage)) or "none"
        raise ValueError(
            f"no study {study_name!r} there (its studies: {names}); give one with --warm-start-study"
        ) from None
    if CONFIG not in study.user_attrs:
        raise ValueError(f"study {study_name!r} was not made by bananas; export it to JSONL first")
    space = get_space(study.user_attrs["space"], study.user_attrs["dataset"])
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return WarmStart(f"{study_name}", [trial_record(t, space) for t in trials if not is_warm_start(t)])
