"""How far a search is from the best a table holds, query by query.

One objective: validation regret is the table's best validation accuracy
minus the best found so far; test regret is the table's best test accuracy
minus the test accuracy of the architecture that is best by validation so
far (percentage points). With constraints both count feasible architectures
only, of the table and of the search.

Several objectives: hypervolume regret is the hypervolume of the table's true
(feasible) Pareto front minus that of what the search found, every objective
scaled to [0, 1] by the table's range (1 best), the reference point at the
worst of each (the origin).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bananas.objectives import Constraints, feasible, maximized
from bananas.pareto import hypervolume


def table_reference(rows: Sequence[dict[str, float]], objectives: Sequence[str], constraints: Sequence[str]) -> dict:
    """What regret is measured against, from every row of a table: the best feasible accuracies, or
    with several objectives their ranges and the true front's hypervolume."""
    check = Constraints(constraints)
    ok = [r for r in rows if feasible(check.of(r))]
    if not ok:
        raise ValueError(f"no architecture in the table meets {', '.join(constraints)}; loosen the constraint")
    if len(objectives) == 1:
        return {m: max(r[m] for r in ok) for m in ("valid_acc", "test_acc")}
    Y = np.array([[r[o] for o in objectives] for r in rows])
    low, high = Y.min(axis=0).tolist(), Y.max(axis=0).tolist()
    reference = {"low": low, "high": high}
    true = scaled(np.array([[r[o] for o in objectives] for r in ok]), objectives, reference)
    return {**reference, "hypervolume": hypervolume(true, [0.0] * len(objectives))}


def scaled(Y: np.ndarray, objectives: Sequence[str], reference: dict) -> np.ndarray:
    """Rows of objective values to [0, 1] by the table's range, 1 the best end of each."""
    low, high = np.asarray(reference["low"]), np.asarray(reference["high"])
    up = np.array([maximized(o) for o in objectives])
    unit = (Y - low) / np.where(high > low, high - low, 1.0)
    return np.where(up, unit, 1.0 - unit)


def regret_curves(
    queries: Sequence[dict[str, float]],
    reference: dict,
    objectives: Sequence[str] = ("valid_acc",),
    constraints: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """Return the regret after each query: ``valid`` and ``test``, or with several objectives
    ``hypervolume`` (arrays of ``len(queries)``)."""
    check = Constraints(constraints)
    ok = np.array([feasible(check.of(q)) for q in queries], dtype=bool)
    if len(objectives) > 1:
        return {"hypervolume": _hypervolume_regret(queries, ok, reference, objectives)}
    valid = np.where(ok, [q["valid_acc"] for q in queries], -np.inf)
    test = np.array([q["test_acc"] for q in queries])
    incumbent = np.array([int(np.argmax(valid[: i + 1])) for i in range(len(valid))])
    found = np.maximum.accumulate(valid)
    worst = {m: reference[m] - min(q[m] for q in queries) for m in ("valid_acc", "test_acc")}
    return {  # until something feasible is found: the regret of the worst query
        "valid": np.where(np.isfinite(found), reference["valid_acc"] - found, worst["valid_acc"]),
        "test": np.where(ok[incumbent], reference["test_acc"] - test[incumbent], worst["test_acc"]),
    }


def _hypervolume_regret(
    queries: Sequence[dict[str, float]], ok: np.ndarray, reference: dict, objectives: Sequence[str]
) -> np.ndarray:
    zero = [0.0] * len(objectives)
    front, regret, last = np.empty((0, len(objectives))), [], reference["hypervolume"]
    for q, holds in zip(queries, ok, strict=True):
        point = scaled(np.array([[q[o] for o in objectives]]), objectives, reference)
        if holds and not (front >= point).all(axis=1).any():  # it grows the front
            front = np.vstack([front, point])
            last = reference["hypervolume"] - hypervolume(front, zero)
        regret.append(last)
    return np.array(regret)


def describe(objectives: Sequence[str], constraints: Sequence[str]) -> dict[str, Any]:
    """The regret kinds and their titles, for tables and plots."""
    if len(objectives) > 1:
        what = ", ".join(f"{o} {'up' if maximized(o) else 'down'}" for o in objectives)
        return {"hypervolume": f"Hypervolume regret ({what}; scaled to the table's range, reference point 0)"}
    where = f" (feasible: {', '.join(constraints)})" if constraints else ""
    return {
        "valid": f"Validation regret{where}",
        "test": f"Test regret of the best-by-validation architecture{where}",
    }
