"""The HEBO peer: its mapping of Optuna params, its seeding, and what happens without HEBO installed.

HEBO is installed by the test set-up (``make test``); ``test_methods`` runs it like every other method.
"""

import sys

import numpy as np
import optuna
import pytest
import torch

from bananas.benchmark import run_benchmark
from bananas.cli import main
from bananas.evaluators import TabularEvaluator
from bananas.samplers import HeboSampler
from bananas.search import run_search


@pytest.fixture
def no_hebo(monkeypatch):
    monkeypatch.setitem(sys.modules, "hebo.optimizers.hebo", None)  # its import raises ImportError


def test_same_seed_same_search_and_global_generators_untouched(cora):
    np.random.seed(123)
    torch.manual_seed(123)
    expected = (np.random.random(), torch.rand(1).item())
    np.random.seed(123)
    torch.manual_seed(123)
    runs = [
        [
            t.user_attrs["arch"]
            for t in run_search(cora, TabularEvaluator(cora), method="hebo", budget=13, seed=3).trials
        ]
        for _ in range(2)
    ]
    assert (np.random.random(), torch.rand(1).item()) == expected
    assert runs[0] == runs[1] and len(set(runs[0])) == 13
    other = run_search(cora, TabularEvaluator(cora), method="hebo", budget=10, seed=4).trials  # its design
    assert [t.user_attrs["arch"] for t in other] != runs[0][:10]


def test_searches_the_params_of_a_plain_study():
    """Without a space: float (log and stepped), int (stepped) and categorical params map to HEBO's and back."""

    def objective(trial):
        x = trial.suggest_float("x", -4.0, 4.0, step=0.5)
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        n = trial.suggest_int("n", 2, 20, step=2)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        return (x - 1) ** 2 + np.log10(lr) ** 2 + (n - 8) ** 2 / 10 + {"a": 1.0, "b": 0.0, "c": 2.0}[kind]

    study = optuna.create_study(sampler=HeboSampler(seed=0, batch_size=4))
    study.optimize(objective, n_trials=12)
    for t in study.trials:
        assert t.params["x"] in np.arange(-4.0, 4.01, 0.5) and 1e-4 <= t.params["lr"] <= 1.0
        assert t.params["n"] in range(2, 21, 2) and t.params["kind"] in "abc"
    assert sum("bo_seconds" in t.user_attrs for t in study.trials) >= 2  # HEBO fit at least once past its design
    first = min(t.value for t in study.trials[:6])
    assert study.best_value < first  # the model's picks found something better than the random design did


def test_without_hebo_the_method_says_how_to_install_it(no_hebo, cora, tmp_path, capsys):
    with pytest.raises(ValueError, match="HEBO is not installed.*make hebo"):
        HeboSampler(space=cora)
    results = run_benchmark(
        "nbgraph", "cora", ["random", "hebo"], seeds=range(2), budget=5, out_dir=tmp_path, workers=1, progress=False
    )
    assert list(results["runs"]) == ["random"] and len(results["runs"]["random"]) == 2
    assert "make hebo" in results["skipped"]["hebo"]
    assert "skipping method hebo: HEBO is not installed" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search", "--method", "hebo", "--budget", "3", "--storage", f"sqlite:///{tmp_path / 's.db'}"])
    err = capsys.readouterr().err
    assert err.startswith("bananas: error: HEBO is not installed") and "Traceback" not in err
