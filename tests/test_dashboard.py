"""A study written by ``bananas search`` as optuna-dashboard serves it (its HTTP API on loopback)."""

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.test_cli import _bananas


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@contextlib.contextmanager
def dashboard(db: str) -> Iterator[tuple[str, list[dict]]]:
    """Serve ``db`` with optuna-dashboard on a free loopback port; yield its API's base URL and studies."""
    exe = shutil.which("optuna-dashboard") or str(Path(sys.executable).parent / "optuna-dashboard")
    port = _free_port()
    server = subprocess.Popen(
        [exe, db, "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}/api"
        for _ in range(100):  # up to 20 s for the server to listen
            try:
                studies = _get(f"{base}/studies")["study_summaries"]
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("optuna-dashboard did not answer")
        yield base, studies
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_multi_objective_constrained_search_shows_named_axes_and_infeasible_trials(tmp_path):
    db = f"sqlite:///{tmp_path}/mo.db"
    search = ["search", "--objectives", "valid_acc,latency", "--constraint", "params_m<=1.2", "--budget", "15"]
    done = _bananas(*search, "--batch-size", "5", "--storage", db, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "pareto set" in done.stdout and "best feasible" in done.stdout
    with dashboard(db) as (base, studies):
        (summary,) = studies
        assert summary["directions"] == ["maximize", "minimize"]
        detail = _get(f"{base}/studies/{summary['study_id']}")
        assert detail["objective_names"] == ["valid_acc", "latency"]
        trials = detail["trials"]
        assert len(trials) == 15 and all(len(t["values"]) == 2 for t in trials)
        for t in trials:
            attrs = {a["key"]: float(a["value"]) for a in t["user_attrs"] if a["key"] in ("latency", "params_m")}
            assert t["values"][1] == attrs["latency"]
            assert t["constraints"] == [attrs["params_m"] - 1.2]  # what the dashboard marks infeasible
        assert any(c["constraints"][0] > 0 for c in trials) and any(c["constraints"][0] <= 0 for c in trials)


def test_dashboard_serves_the_trials_and_attrs(tmp_path):
    db = f"sqlite:///{tmp_path}/d.db"
    assert _bananas("search", "--budget", "15", "--batch-size", "5", "--storage", db, "--quiet").returncode == 0
    with dashboard(db) as (base, studies):
        (summary,) = studies
        assert summary["study_name"] == "nbgraph-cora-bananas-seed0"
        study_attrs = {a["key"]: a["value"] for a in summary["user_attrs"]}
        assert study_attrs["space"] == "nbgraph" and study_attrs["dataset"] == "cora"
        assert json.loads(study_attrs["bananas"])["method"] == "bananas"
        detail = _get(f"{base}/studies/{summary['study_id']}")
        assert detail["objective_names"] == ["valid_acc"]  # not "Objective 0"
        trials = detail["trials"]
        assert len(trials) == 15 and all(t["state"] == "Complete" for t in trials)
        params = {p["name"]: p for p in trials[-1]["params"]}
        assert params["op0"]["distribution"]["type"] == "CategoricalDistribution"
        assert params["op0"]["param_external_value"] in {
            "gat",
            "gcn",
            "gin",
            "cheb",
            "sage",
            "arma",
            "graph",
            "fc",
            "skip",
        }
        assert params["link3"]["distribution"]["type"] == "IntDistribution"
        attrs = {a["key"]: a["value"] for a in trials[-1]["user_attrs"]}
        assert {"arch", "valid_acc", "test_acc", "iteration", "pred_mean"} <= set(attrs)
        assert float(attrs["valid_acc"]) == trials[-1]["values"][0]
