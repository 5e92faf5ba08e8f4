"""Opening the study of a search: its name, its recorded configuration, its sampler and pruner.

A study made by bananas records in its user attr ``"bananas"`` (``bananas.trials.CONFIG``)
what the search is, so that running the same search again continues it and a worker
that knows only the study's name can join it; a study made for another search is refused.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import optuna

from bananas._version import __version__
from bananas.evaluators import Evaluator
from bananas.methods import BANANAS_OPTIONS, DEFAULT_METHOD, make_sampler, method_options
from bananas.objectives import OBJECTIVE, Constraints, direction, parse_objectives
from bananas.spaces import Space, TabularSpace
from bananas.trials import CONFIG, IDENTITY
from bananas.warmstart import WarmStart

PRUNERS = {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)}


class StudyMismatch(ValueError):
    """The study on the storage was made for another search."""


def default_study_name(
    space: str, dataset: str, method: str, seed: int | None, objectives: Any = (OBJECTIVE,), constraints: Any = ()
) -> str:
    """Return the name of a search's study when none is given: ``SPACE-DATASET-METHOD-seedSEED`` (a space
    of a user's file ``PATH/FILE.py:NAME`` is ``FILE.NAME`` there), with ``-vs-COST`` per further objective
    and ``-METRIC<=BOUND`` per constraint before the seed."""
    path, _, attr = space.partition(".py:")
    if attr:
        space = f"{os.path.basename(path)}.{attr}"
    extra = "".join(f"-vs-{o}" for o in list(objectives)[1:]) + "".join(f"-{c}" for c in constraints)
    return f"{space}-{dataset}-{method}{extra}-seed{seed}"


def open_study(storage: Any, study_name: str, config: dict[str, Any]) -> optuna.Study:
    """Create the study, or load it and check it was made for the same space, dataset, method,
    objectives and constraints.

    ``config`` is stored in the study's user attrs under ``"bananas"`` with the
    bananas version; the storage may be a URL or an Optuna storage object. The
    study's directions and metric names are its objectives' (``config["objectives"]``,
    default: ``valid_acc`` maximized).
    """
    objectives = config.get("objectives", [OBJECTIVE])
    directions: list[Any] = [direction(o) for o in objectives]
    study = optuna.create_study(storage=storage, study_name=study_name, directions=directions, load_if_exists=True)
    stored = study.user_attrs.get(CONFIG)
    if stored is None and study.trials:
        raise StudyMismatch(f"study {study_name!r} exists but was not made by bananas; choose another --study-name")
    if [d.name.lower() for d in study.directions] != directions:
        found = " and ".join(d.name.lower() for d in study.directions)
        wanted = " and ".join(f"{d.removesuffix('e')}es {o}" for o, d in zip(objectives, directions, strict=True))
        raise StudyMismatch(
            f"study {study_name!r} exists with direction {found}, but this search {wanted}; choose another --study-name"
        )
    if not study.metric_names:  # the dashboard names the axes "valid_acc", ..., not "Objective 0"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(list(objectives))
    if stored is None:
        study.set_user_attr(CONFIG, {**config, "version": __version__})
        for key in IDENTITY:
            study.set_user_attr(key, config[key])
        return study
    defaults = {"objectives": [OBJECTIVE], "constraints": []}  # studies of versions before them
    wrong = [
        f"{k} {stored.get(k, defaults.get(k))!r} (asked: {config.get(k, defaults.get(k))!r})"
        for k in (*IDENTITY, *defaults)
        if stored.get(k, defaults.get(k)) != config.get(k, defaults.get(k))
    ]
    if wrong:
        raise StudyMismatch(
            f"study {study_name!r} was made for another search: {', '.join(wrong)}; "
            "use another --study-name or the same settings"
        )
    return study


def make_pruner(pruner: str | optuna.pruners.BasePruner | None) -> optuna.pruners.BasePruner:
    """Return the pruner named in ``PRUNERS``, the one given, or none (Optuna's default would prune)."""
    if pruner is None:
        return optuna.pruners.NopPruner()
    if isinstance(pruner, str):
        if pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {pruner!r}; choose one of {', '.join(PRUNERS)}")
        return PRUNERS[pruner]()
    return pruner


def prepare_study(
    space: Space,
    evaluator: Evaluator,
    *,
    method: str = DEFAULT_METHOD,
    budget: int = 150,
    seed: int | None = 0,
    storage: Any = None,
    study_name: str | None = None,
    sampler_options: dict[str, Any] | None = None,
    warm_start: WarmStart | None = None,
    pruner: str | optuna.pruners.BasePruner | None = None,
    objectives: Any = (OBJECTIVE,),
    constraints: Any = (),
) -> optuna.Study:
    """Open (or create) the study of a search, with its sampler and pruner; evaluate nothing.

    The study's user attr ``"bananas"`` records what a worker needs to join it: space,
    dataset, method, seed, budget (updated when a later run asks for another),
    ``sampler_options``, objectives and constraints (``bananas.objectives``: names such as
    ``["valid_acc", "latency"]``, texts such as ``["params_m<=0.5"]``), the evaluator's settings
    and the pruner's name.
    """
    objectives = parse_objectives(objectives)
    constraints = Constraints(constraints)
    recorded = getattr(evaluator, "metric_names", lambda: ())()
    missing = [m for m in [*objectives, *(c.metric for c in constraints.items)] if recorded and m not in recorded]
    if missing:
        raise ValueError(
            f"{', '.join(dict.fromkeys(missing))}: not a metric this search records ({', '.join(recorded)}); "
            "choose objectives and constraints among those"
        )
    if isinstance(space, TabularSpace) and budget > len(space.all_keys()):
        raise ValueError(
            f"--budget {budget} exceeds the {len(space.all_keys())} architectures in the table of "
            f"{space.dataset}; lower --budget"
        )
    sampler_options = method_options(method, sampler_options)
    if warm_start is not None and warm_start.transfers_to(space):
        if method not in BANANAS_OPTIONS:
            raise ValueError(
                f"a warm start from another dataset ({warm_start.dataset}) is a prior for BANANAS's model, which "
                f"--method {method} has not; use --method bananas, or a warm start from {space.dataset}"
            )
        sampler_options["transfer"] = warm_start.transfer_pairs(space)
    config = {**space.describe(), "method": method, "seed": seed, "budget": budget, "sampler_options": sampler_options}
    config |= {"objectives": objectives, "constraints": constraints.describe()}
    config["evaluator"] = evaluator.describe()
    if isinstance(pruner, str):
        config["pruner"] = pruner
    study_name = study_name or default_study_name(
        space.name, space.dataset, method, seed, objectives, constraints.describe()
    )
    study = open_study(storage if storage is not None else optuna.storages.InMemoryStorage(), study_name, config)
    stored = study.user_attrs[CONFIG]
    if stored.get("budget") != budget:
        study.set_user_attr(CONFIG, {**stored, "budget": budget})
    study.sampler = make_sampler(method, space, seed, constraints or None, evaluator, **sampler_options)
    study.pruner = make_pruner(pruner)
    if warm_start is not None and not warm_start.transfers_to(space):
        warm_start.add_observations(study, space)
    return study
