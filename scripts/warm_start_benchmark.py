"""Warm start vs cold start of BANANAS, from the search logs of a finished ``bananas benchmark``.

bananas benchmark --dataset cora --methods bananas --out benchmark-out/cora   # and citeseer
python scripts/warm_start_benchmark.py --results benchmark-out --source cora --target citeseer
python scripts/warm_start_benchmark.py --results benchmark-out --source cora --target cora --prior-queries 50

Priors are the benchmark's own BANANAS search logs: the first ``--prior-queries``
queries of seed ``s`` on ``--source`` (another dataset: transfer, ``bananas.transfer``),
or of seed ``s + 1`` on ``--target`` itself (same dataset). Prints mean ± s.e. of the
validation regret of the warm runs after their own queries, beside the cold runs of
``RESULTS/TARGET/results.json`` (same seeds), the paired difference, and how many
warm runs made exactly the cold run's queries (a transfer prior that never agreed).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bananas.regret import describe, regret_curves
from bananas.stats import mean_se


def log_records(space_name: str, dataset: str, queries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log records (``bananas.exchange`` schema) of benchmark queries."""
    from bananas.exchange import SCHEMA

    return [
        {
            "schema": SCHEMA,
            "space": space_name,
            "dataset": dataset,
            "arch": q["arch"],
            "state": "COMPLETE",
            "value": q["valid_acc"],
            "metrics": {"valid_acc": q["valid_acc"], "test_acc": q["test_acc"]},
        }
        for q in queries
    ]


def run_warm(
    space_name: str, target: str, seed: int, budget: int, source: str, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run BANANAS on ``target`` warm-started from ``records``; return all COMPLETE queries in order
    (warm-start observations first)."""
    import optuna
    import torch

    from bananas.benchmark import query_records
    from bananas.evaluators import TabularEvaluator
    from bananas.search import run_search
    from bananas.spaces import get_tabular_space
    from bananas.warmstart import WarmStart

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = get_tabular_space(space_name, target)
    study = run_search(space, TabularEvaluator(space), budget=budget, seed=seed, warm_start=WarmStart(source, records))
    return query_records(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def warm_and_cold(
    results_dir: str, space_name: str, source: str, target: str, *, prior_queries: int, budget: int
) -> dict[str, dict[str, np.ndarray]]:
    """Return the regret curves (``seeds x queries``) of the warm runs and of the cold ones: ``valid`` and
    ``test`` (of the best-by-validation architecture), e.g. ``curves["warm"]["valid"]``."""
    base = Path(results_dir)
    cold = json.loads((base / target / "results.json").read_text())
    prior = json.loads((base / source / "results.json").read_text())
    cold_runs = sorted(cold["runs"]["bananas"], key=lambda r: r["seed"])
    prior_runs = sorted(prior["runs"]["bananas"], key=lambda r: r["seed"])
    n = len(cold_runs)
    offset = 1 if source == target else 0
    jobs = []
    for i, run in enumerate(cold_runs):
        prior_run = prior_runs[(i + offset) % n]
        records = log_records(space_name, source, prior_run["queries"][:prior_queries])
        jobs.append((space_name, target, run["seed"], budget, f"{source}-seed{prior_run['seed']}", records))
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        warm_runs = list(pool.map(run_warm, *zip(*jobs, strict=True)))
    best = cold["table_best"]
    # The regret counts the warm observations when they are of the target (same dataset).
    warm = [{k: c[len(q) - budget :] for k, c in regret_curves(q, best).items()} for q in warm_runs]
    cold_curves = [regret_curves(r["queries"], best) for r in cold_runs]
    return {
        name: {k: np.array([c[k] for c in curves]) for k in ("valid", "test")}
        for name, curves in (("warm", warm), ("cold", cold_curves))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="benchmark-out", help="folder with SOURCE/ and TARGET/results.json")
    parser.add_argument("--space", default="nbgraph")
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--prior-queries", type=int, default=150, help="prior evaluations used (default: 150)")
    parser.add_argument("--budget", type=int, default=100, help="new queries of the warm run (default: 100)")
    parser.add_argument("--checkpoints", default="25,50,100", help="query counts to report")
    args = parser.parse_args()
    curves = warm_and_cold(
        args.results, args.space, args.source, args.target, prior_queries=args.prior_queries, budget=args.budget
    )
    kind = "same dataset" if args.source == args.target else "transfer"
    for regret, what in describe(["valid_acc"], []).items():  # the benchmark's own titles
        warm, cold = curves["warm"][regret], curves["cold"][regret]
        print(
            f"{args.source} -> {args.target} ({kind}, up to {args.prior_queries} prior evaluations), {what} "
            f"(pp), mean ± s.e. over {len(cold)} seeds"
        )
        for k in map(int, args.checkpoints.split(",")):
            if k <= min(warm.shape[1], cold.shape[1]):
                cells = [f"{name} {mean_se(c[:, k - 1])}" for name, c in (("warm", warm), ("cold", cold))]
                paired = mean_se(warm[:, k - 1] - cold[:, k - 1], sign="+")
                print(f"  after {k:3d} queries: " + "   ".join(cells) + f"   paired {paired}")
    if args.source != args.target:
        warm, cold = curves["warm"]["valid"], curves["cold"]["valid"]
        n = min(warm.shape[1], cold.shape[1])
        same = sum(np.array_equal(w[:n], c[:n]) for w, c in zip(warm, cold, strict=True))
        print(f"  warm runs whose regret curve is the cold run's: {same} of {len(cold)}")


if __name__ == "__main__":
    main()
