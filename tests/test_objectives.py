"""Objectives and constraints: names, directions, parsing, and what a search with them records."""

import math
import types

import numpy as np
import optuna
import pytest

from bananas.evaluators import TabularEvaluator
from bananas.objectives import Constraint, Constraints, direction, parse_objectives
from bananas.search import run_search


def test_objectives_read_aliases_and_directions():
    assert parse_objectives("valid_acc, params,flops") == ["valid_acc", "params_m", "flops_m"]
    assert [direction(o) for o in ("valid_acc", "test_acc", "latency", "params_m")] == [
        "maximize", "maximize", "minimize", "minimize"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("latency", "the first objective is valid_acc"),
        ("valid_acc,latency,latency", "named twice"),
        ("valid_acc,lat ency", "metric names"),
        ("", "metric names"),
    ],
)
def test_bad_objectives_say_what_to_write(text, says):
    with pytest.raises(ValueError, match=says):
        parse_objectives(text)


def test_constraints_read_both_directions_and_give_violations():
    c = Constraint.parse(" params <= 0.5 ")
    assert (c.metric, c.op, c.bound, str(c)) == ("params_m", "<=", 0.5, "params_m<=0.5")
    assert c.violation(0.4) == pytest.approx(-0.1) and c.violation(0.7) == pytest.approx(0.2)
    assert Constraint.parse("valid_acc>=80").violation(85) == -5
    for bad in ("params_m<0.5", "params_m<=x", "<=3", "params_m<=nan"):
        with pytest.raises(ValueError, match="METRIC<=BOUND"):
            Constraint.parse(bad)
    check = Constraints(["params_m<=1", "latency<=0.002"])
    trial = types.SimpleNamespace(user_attrs={"params_m": 1.5, "latency": 0.001})
    assert check(trial) == pytest.approx([0.5, -0.001])
    assert check.of({"params_m": 0.5}) == [-0.5, math.inf]  # never recorded: violated


def test_a_constrained_search_records_violations_and_seeks_feasible_architectures(cora):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = run_search(
        cora,
        TabularEvaluator(cora),
        budget=40,
        constraints=["params_m<=1.2"],  # about half of cora's architectures
        sampler_options={"batch_size": 5},
    )
    trials = study.trials
    assert all(list(t.system_attrs["constraints"]) == [t.user_attrs["params_m"] - 1.2] for t in trials)
    feasible = np.array([t.user_attrs["params_m"] <= 1.2 for t in trials])
    assert feasible[10:].mean() >= 0.8 > feasible[:10].mean() - 0.3  # the model learns where the limit is
    best = study.best_trial  # Optuna's best honours the constraint
    assert best.user_attrs["params_m"] <= 1.2
    assert best.value == max(t.value for t, ok in zip(trials, feasible, strict=True) if ok)


def test_known_objectives_are_computed_and_the_front_is_recorded(cora):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = run_search(
        cora, TabularEvaluator(cora), budget=20, objectives=["valid_acc", "params"], sampler_options={"batch_size": 5}
    )
    assert study.metric_names == ["valid_acc", "params_m"]
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert all(t.values == [t.user_attrs["valid_acc"], t.user_attrs["params_m"]] for t in study.trials)
    step = study.sampler._step
    assert list(step.fit.model.members) == [(0,)]  # one predictor: parameters are known, not predicted
    assert step.fit.model.exact[1](step.fit.pool[0]) == -cora.known_metrics(step.fit.pool[0])["params_m"]


def test_a_study_is_not_reopened_with_other_objectives_or_constraints(cora):
    storage = optuna.storages.InMemoryStorage()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_search(cora, TabularEvaluator(cora), budget=3, storage=storage, study_name="s")
    with pytest.raises(ValueError, match="direction maximize"):
        run_search(
            cora, TabularEvaluator(cora), budget=3, storage=storage, study_name="s", objectives="valid_acc,latency"
        )
    with pytest.raises(ValueError, match="constraints"):
        run_search(cora, TabularEvaluator(cora), budget=3, storage=storage, study_name="s", constraints=["params<=1"])
    with pytest.raises(ValueError, match="flops_m: not a metric this search records"):
        run_search(cora, TabularEvaluator(cora), budget=3, objectives="valid_acc,flops")
