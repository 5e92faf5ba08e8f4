import json

import numpy as np

from bananas.benchmark import regret_curves, run_benchmark


def test_regret_curves_follow_the_incumbent():
    queries = [{"valid_acc": 70, "test_acc": 71}, {"valid_acc": 75, "test_acc": 69}, {"valid_acc": 72, "test_acc": 80}]
    valid, test = regret_curves(queries, {"valid_acc": 80, "test_acc": 82})
    assert valid.tolist() == [10, 5, 5]
    assert test.tolist() == [11, 13, 13]  # the third has better test but worse validation


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
