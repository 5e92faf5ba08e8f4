"""Every script in scripts/ runs, with tiny arguments, and prints its figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _run(script: str, *args: str, timeout: float = 300) -> str:
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A finished tiny benchmark on cora (the input of the scripts that read search logs)."""
    root = tmp_path_factory.mktemp("bench")
    out = _run(
        "benchmark.py",
        *("--dataset", "cora", "--methods", "bananas,random", "--seeds", "2", "--budget", "12"),
        *("--n-init", "4", "--batch-size", "4", "--workers", "2", "--out", str(root / "cora")),
    )
    assert "| bananas |" in out and (root / "cora" / "results.json").exists()
    return root


def test_sampler_benchmark(results):
    out = _run("sampler_benchmark.py", "--results", str(results), "--dataset", "cora", "--n-jobs", "2")
    assert "study.optimize(n_jobs=2)" in out and "repeated architectures" in out


def test_warm_start_benchmark(results):
    out = _run(
        "warm_start_benchmark.py",
        *("--results", str(results), "--source", "cora", "--target", "cora"),
        *("--prior-queries", "6", "--budget", "12", "--checkpoints", "6,12"),
    )
    assert "same dataset" in out and "after  12 queries: warm" in out


def test_transfer_benchmark(results):
    _run(
        "benchmark.py",
        *("--dataset", "citeseer", "--methods", "bananas", "--seeds", "2", "--budget", "12"),
        *("--n-init", "4", "--batch-size", "4", "--workers", "2", "--out", str(results / "citeseer")),
    )
    out = _run(
        "warm_start_benchmark.py",
        *("--results", str(results), "--source", "citeseer", "--target", "cora"),
        *("--budget", "12", "--checkpoints", "6,12"),
    )
    assert "(transfer, up to 150 prior evaluations)" in out and "after  12 queries: warm" in out and "paired" in out
    assert "warm runs whose regret curve is the cold run's:" in out


def test_bo_timing():
    out = _run("bo_timing.py", "--observations", "20", "30", "--n-random", "40", "--batch-size", "3", "--repeats", "1")
    assert "20 observations" in out and "30 observations" in out and "s per iteration of 3 picks" in out
    out = _run(
        "bo_timing.py",
        "--observations",
        "20",
        "--batch-size",
        "2",
        "--repeats",
        "1",
        "--objectives",
        "valid_acc",
        "latency",
        "--mo-acquisition",
        "parego",
    )
    assert "(valid_acc, latency; parego)" in out and "s per iteration of 2 picks" in out


def test_predictor_eval_and_encoding_table():
    out = _run("predictor_eval.py", "--n-train", "20", "--n-test", "60", "--seeds", "2")
    assert "kendall_tau" in out and "spearman_rho" in out
    out = _run("encoding_table.py", "--datasets", "cora", "--encodings", "adjacency", "--n-train", "20", "--seeds", "2")
    assert "| adjacency |" in out


def test_training_scripts():
    out = _run("train_throughput.py", "--data", "digits", "--steps", "20", "--repeats", "1")
    assert "ours / bare" in out
    out = _run("weight_inheritance.py", "--pairs", "2", "--epochs", "2", "--channels", "4")
    assert "inherited - scratch" in out


def test_one_shot_scripts(tmp_path):
    out = _run(
        "supernet_tau.py",
        *("--dataset", "digits", "--n-archs", "6", "--supernet-epochs", "1", "--epochs", "1", "--channels", "4"),
        "--repeat",
    )
    assert "6 architectures" in out and "by cross-entropy Kendall tau" in out
    assert "the parameter count: Kendall tau" in out and "a second standalone training: Kendall tau" in out
    out = _run(
        "oneshot_benchmark.py",
        *("--dataset", "digits", "--methods", "bananas,darts", "--seconds", "3", "--seeds", "1", "--epochs", "1"),
        *("--train-subset", "200", "--supernet-epochs", "1", "--channels", "4", "--out", str(tmp_path / "o.json")),
    )
    assert "| bananas |" in out and "| darts |" in out and (tmp_path / "o.json").exists()


def test_workers_benchmark(tmp_path):
    out = _run(
        "workers_benchmark.py",
        *("wall", "--budget", "8", "--workers", "1,2", "--cost", "0.01", "--out", str(tmp_path)),
    )
    assert "2 worker(s)" in out and "without the fit" in out and "0 duplicated" in out
    assert (tmp_path / "wall.json").exists()


def test_workers_benchmark_proposal(tmp_path):
    out = _run("workers_benchmark.py", "proposal", "--budget", "20", "--out", str(tmp_path))
    assert "one worker's next 30" in out and "without the fit" in out
    assert len(json.loads((tmp_path / "proposal.json").read_text())["overhead_without_fit_s"]) == 30


def test_generic_benchmark(tmp_path):
    out = _run(
        "generic_benchmark.py",
        *("--dataset", "cora", "--methods", "bananas", "tpe", "--seeds", "2", "--budget", "25"),
        *("--workers", "2", "--out", str(tmp_path)),
    )
    assert "| bananas |" in out and "| tpe |" in out and (tmp_path / "regret.png").exists()


def test_count_cells():
    assert "unique cells: 91 " in _run("count_cells.py", "--nodes", "2")


def test_own_space_search_on_the_space_of_my_space_file(tmp_path):
    """scripts/own_space_search.py searches the SPACE that "my_space.py" declares (digits: CI has no
    Fashion-MNIST package)."""
    out = _run(
        "own_space_search.py",
        *("--method", "bananas", "random", "--seeds", "0", "--budget", "2", "--dataset", "digits"),
        *("--train-subset", "200", "--workers", "2", "--out", str(tmp_path / "runs.json")),
    )
    assert "bananas: mean test acc" in out and "random: mean test acc" in out and (tmp_path / "runs.json").exists()


def test_every_script_is_run_here():
    """A new script needs a smoke test in this file."""
    here = Path(__file__).read_text()
    assert [p.name for p in SCRIPTS.glob("*.py") if f'"{p.name}"' not in here] == []
