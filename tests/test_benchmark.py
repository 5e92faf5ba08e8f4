import json

import numpy as np
import pytest

from bananas.benchmark import run_benchmark
from bananas.regret import regret_curves, table_reference


def test_regret_curves_follow_the_incumbent():
    queries = [{"valid_acc": 70, "test_acc": 71}, {"valid_acc": 75, "test_acc": 69}, {"valid_acc": 72, "test_acc": 80}]
    curves = regret_curves(queries, {"valid_acc": 80, "test_acc": 82})
    assert curves["valid"].tolist() == [10, 5, 5]
    assert curves["test"].tolist() == [11, 13, 13]  # the third has better test but worse validation


def test_with_a_constraint_only_feasible_architectures_count_in_the_table_and_the_search():
    rows = [
        {"valid_acc": 90, "test_acc": 91, "params_m": 2.0},
        {"valid_acc": 80, "test_acc": 79, "params_m": 0.5},
        {"valid_acc": 70, "test_acc": 75, "params_m": 0.4},
    ]
    best = table_reference(rows, ["valid_acc"], ["params_m<=1"])
    assert best == {"valid_acc": 80, "test_acc": 79}  # the 90 % network is too big
    curves = regret_curves([rows[0], rows[2], rows[1]], best, ["valid_acc"], ["params_m<=1"])
    assert curves["valid"].tolist() == [80 - 70, 10, 0]  # first: nothing feasible yet, the worst query's regret
    assert curves["test"].tolist() == [79 - 75, 79 - 75, 0]


def test_hypervolume_regret_falls_to_zero_once_the_true_front_is_found():
    rows = [
        {"valid_acc": 90.0, "latency": 3.0},
        {"valid_acc": 80.0, "latency": 1.0},
        {"valid_acc": 70.0, "latency": 2.0},  # dominated
        {"valid_acc": 60.0, "latency": 0.5},
    ]
    ref = table_reference(rows, ["valid_acc", "latency"], [])
    assert ref["low"] == [60.0, 0.5] and ref["high"] == [90.0, 3.0]
    curve = regret_curves([rows[2], rows[0], rows[3], rows[1]], ref, ["valid_acc", "latency"])["hypervolume"]
    # scaled (1 best): (0.33, 0.4), (1, 0), (0, 1), (0.67, 0.8); the true front's hypervolume is 0.67 * 0.8
    assert np.allclose(curve, [0.8 * 2 / 3 - 0.4 / 3, 0.8 * 2 / 3 - 0.4 / 3, 0.8 * 2 / 3 - 0.4 / 3, 0.0])


def test_benchmark_writes_json_markdown_and_plot(tmp_path):
    run_benchmark(
        "nbgraph", "cora", ["random", "re"], seeds=range(3), budget=30, out_dir=tmp_path, workers=2, progress=False
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["runs"]) == {"random", "re"} and len(results["runs"]["re"]) == 3
    run = results["runs"]["random"][0]
    assert len(run["queries"]) == 30 and {"arch", "valid_acc", "test_acc"} <= set(run["queries"][0])
    s = results["summary"]["random"]["checkpoints"]["25"]
    finals = [
        results["table_best"]["valid_acc"] - max(q["valid_acc"] for q in r["queries"][:25])
        for r in results["runs"]["random"]
    ]
    assert np.isclose(s["valid"], np.mean(finals)) and s["n"] == 3
    md = (tmp_path / "results.md").read_text()
    assert "| random |" in md and "25 queries" in md
    assert (tmp_path / "regret.png").read_bytes()[:4] == b"\x89PNG"


def test_a_broken_run_is_reported_and_the_others_kept(tmp_path, capsys):
    results = run_benchmark(
        "nbgraph",
        "cora",
        ["random", "bananas"],
        seeds=range(2),
        budget=12,
        out_dir=tmp_path,
        workers=2,
        sampler_options={"batch_size": 0},
    )  # invalid for bananas only
    assert len(results["runs"]["random"]) == 2 and results["runs"]["bananas"] == []
    assert [(e["method"], e["seed"]) for e in results["errors"]] == [("bananas", 0), ("bananas", 1)]
    assert "batch_size" in results["errors"][0]["error"]
    assert "run failed" in capsys.readouterr().err
    assert (tmp_path / "regret.png").exists()


def test_a_multi_objective_benchmark_reports_hypervolume_regret(tmp_path):
    run_benchmark(
        "nbgraph", "cora", ["random", "nsga2"], seeds=range(2), budget=25, out_dir=tmp_path, workers=2,
        progress=False, objectives=["valid_acc", "params_m"],
    )  # fmt: skip
    results = json.loads((tmp_path / "results.json").read_text())
    ref = results["table_best"]
    assert ref["hypervolume"] > 0 and len(ref["low"]) == 2
    query = results["runs"]["nsga2"][0]["queries"][0]
    assert {"valid_acc", "test_acc", "params_m"} <= set(query)
    s = results["summary"]["random"]["checkpoints"]["25"]
    assert 0 < s["hypervolume"] < ref["hypervolume"] and s["n"] == 2
    assert "Hypervolume regret (valid_acc up, params_m down" in (tmp_path / "results.md").read_text()


def test_mean_and_standard_error_as_every_benchmark_reports_them():
    from bananas.stats import mean_se, stderr

    assert stderr([1.0, 3.0]) == pytest.approx(1.0) and stderr([2.0]) == 0.0
    assert mean_se([1.0, 3.0]) == "2.000 ± 1.000" and mean_se([0.5, 1.5], 2, sign="+") == "+1.00 ± 0.50"
