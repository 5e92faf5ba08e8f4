"""A study written by ``bananas search`` as optuna-dashboard serves it (its HTTP API on loopback)."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import _bananas


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_dashboard_serves_the_trials_and_attrs(tmp_path):
    db = f"sqlite:///{tmp_path}/d.db"
    assert _bananas("search", "--budget", "15", "--batch-size", "5", "--storage", db, "--quiet").returncode == 0
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
    finally:
        server.terminate()
        server.wait(timeout=10)
