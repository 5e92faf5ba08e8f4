"""Search logs as JSONL, for exchange with other tools (the study stays the state).

One JSON object per line, one line per evaluation (schema 1)::

    {"schema": 1, "space": "nbgraph", "dataset": "cora", "arch": "0-0-1-2|gcn-gat-sage-fc",
     "params": {"link1": 0, ...}, "state": "COMPLETE", "value": 80.1,
     "metrics": {"valid_acc": 80.1, "test_acc": 81.0, ...}, "fail_reason": null,
     "number": 7, "datetime_start": "2026-11-24T05:00:00", "datetime_complete": "..."}

``state`` is ``COMPLETE`` or ``FAIL``; ``value`` (the validation accuracy, the first objective)
is null for FAIL; a study with several objectives reads the others from ``metrics``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from bananas.objectives import OBJECTIVE, Constraints
from bananas.spaces import Space
from bananas.trials import ARCH, CONSTRAINTS, FAIL_REASON, arch_of
from bananas.validation import accuracy_problem, metrics_problem

SCHEMA = 1
METRICS = ("valid_acc", "test_acc", "latency", "params_m", "flops_m")
REQUIRED = {"schema": int, "space": str, "dataset": str, "arch": str, "state": str}


class LogError(ValueError):
    """A log with malformed lines; ``errors`` lists ``(line number, problem)``."""

    def __init__(self, path: str, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {n}: {msg}" for n, msg in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(
            f"{path}: {len(errors)} malformed line(s): {shown}{more}. "
            "Fix them, or pass --skip-malformed to import the rest"
        )


def records_space(records: list[dict[str, Any]], source: str) -> tuple[str, str]:
    """Return the (space, dataset) of log records; ValueError if there are none or they mix several."""
    if not records:
        raise ValueError(f"{source} holds no evaluations")
    pairs = {(r["space"], r["dataset"]) for r in records}
    if len(pairs) > 1:
        raise ValueError(f"{source} mixes spaces or datasets ({sorted(pairs)}); use one search per log")
    return pairs.pop()


def trial_record(trial: optuna.trial.FrozenTrial, space: Space) -> dict[str, Any]:
    """Return the log record of one finished trial."""
    attrs = trial.user_attrs
    return {
        "schema": SCHEMA,
        **space.describe(),
        "arch": attrs.get(ARCH) or space.to_string(space.from_params(trial.params)),
        "params": trial.params,
        "state": trial.state.name,
        "value": trial.values[0] if trial.values else None,
        "metrics": {k: attrs[k] for k in METRICS if k in attrs},
        "fail_reason": attrs.get(FAIL_REASON),
        "number": trial.number,
        "datetime_start": trial.datetime_start.isoformat() if trial.datetime_start else None,
        "datetime_complete": trial.datetime_complete.isoformat() if trial.datetime_complete else None,
    }


def export_study(study: optuna.Study, space: Space, path: str | Path) -> int:
    """Write every COMPLETE and FAIL trial of ``study`` to ``path``; return how many."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
    target = Path(path)
    if not target.parent.is_dir():
        raise OSError(f"cannot write {target}: the folder {target.parent} does not exist; create it first")
    partial = target.with_name(f".{target.name}.partial")
    try:  # a full disk or a crash leaves the old file whole: write aside, then rename
        with open(partial, "w") as f:
            for t in trials:
                f.write(json.dumps(trial_record(t, space)) + "\n")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return len(trials)


def _check(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    for key, kind in REQUIRED.items():
        if not isinstance(record.get(key), kind):
            return f"{key!r} missing or not {kind.__name__}"
    if record["schema"] != SCHEMA:
        return f"schema {record['schema']} (this bananas reads {SCHEMA})"
    if record["state"] not in ("COMPLETE", "FAIL"):
        return f"state {record['state']!r} (expected COMPLETE or FAIL)"
    if record["state"] == "COMPLETE" and (problem := accuracy_problem(record.get("value"))):
        return f"'value' {problem}"
    return metrics_problem(record.get("metrics", {}))


def read_log(path: str | Path, *, skip_malformed: bool = False) -> list[dict[str, Any]]:
    """Return the records of a JSONL log.

    Raises ``LogError`` naming every malformed line by number, unless
    ``skip_malformed``: then those lines are reported on stderr and left out.
    """
    records, errors = [], []
    with open(path, "rb") as f:  # bytes: a binary file is malformed lines, not a decoding crash
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                errors.append((number, f"not JSON ({err.msg})"))
                continue
            except UnicodeDecodeError:
                errors.append((number, "not text (a binary file?)"))
                continue
            problem = _check(record)
            if problem:
                errors.append((number, problem))
            else:
                records.append(record)
    if errors and not skip_malformed:
        raise LogError(str(path), errors)
    for number, problem in errors:
        print(f"{path}: skipped line {number}: {problem}", file=sys.stderr)
    return records


def records_to_trials(
    records: Iterable[dict[str, Any]],
    space: Space,
    objectives: Sequence[str] = (OBJECTIVE,),
    constraints: Sequence[str] = (),
) -> list[optuna.trial.FrozenTrial]:
    """Return finished Optuna trials (not yet in any study) for log records of ``space``: their values
    are the ``objectives`` (``value``, then the others from ``metrics``), their constraint values those
    of ``constraints`` (as Optuna's samplers record them). ValueError for a record without them."""
    distributions = space.distributions()
    check = Constraints(constraints)
    needed = [*objectives[1:], *(c.metric for c in check.items)]
    trials = []
    for r in records:
        arch = space.from_string(r["arch"])
        complete = r["state"] == "COMPLETE"
        metrics = r.get("metrics", {})
        attrs = {ARCH: space.to_string(arch), **metrics}
        if not complete:
            attrs[FAIL_REASON] = r.get("fail_reason") or "failed (imported)"
        elif missing := [m for m in needed if m not in metrics]:
            raise ValueError(
                f"the evaluation of {r['arch']} records no {', '.join(missing)}, which this search's objectives "
                "or constraints need; warm-start from a search that recorded it"
            )
        trials.append(
            optuna.trial.create_trial(
                params=space.to_params(arch),
                distributions=distributions,
                values=[r["value"], *(metrics[o] for o in objectives[1:])] if complete else None,
                state=TrialState.COMPLETE if complete else TrialState.FAIL,
                user_attrs=attrs,
                system_attrs={CONSTRAINTS: check.of(metrics)} if check and complete else None,
            )
        )
    return trials


def import_log(storage: Any, study_name: str, path: str | Path, *, skip_malformed: bool = False) -> tuple[int, int]:
    """Add the evaluations of a JSONL log to a study (created if missing, for the log's space and
    dataset); return how many were added and how many the study already held (same architecture and
    state: importing a log twice adds nothing). Raises ``LogError``/``OSError`` for an unreadable log
    and ValueError for a log or study that does not fit."""
    from bananas.spaces import get_space
    from bananas.study import open_study

    records = read_log(path, skip_malformed=skip_malformed)
    space = get_space(*records_space(records, str(path)))
    trials = records_to_trials(records, space)  # every record understood before the study is touched
    config = {**space.describe(), "method": "import", "seed": None}
    study = open_study(storage, study_name, config)
    held = {(space.key(a), t.state) for t in study.get_trials(deepcopy=False) if (a := arch_of(t, space)) is not None}
    new = []
    for trial in trials:
        fingerprint = (space.key(space.from_params(trial.params)), trial.state)
        if fingerprint not in held:
            held.add(fingerprint)
            new.append(trial)
    study.add_trials(new)
    return len(new), len(records) - len(new)
