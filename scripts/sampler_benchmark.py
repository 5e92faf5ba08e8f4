"""BananasSampler in a plain ``study.optimize(n_jobs=N)`` against ``bananas search`` (benchmark logs).

python scripts/sampler_benchmark.py --results benchmark-out --dataset cora --n-jobs 4
"""

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bananas.stats import mean_se


def run(dataset: str, seed: int, budget: int, n_jobs: int) -> tuple[list[dict], int]:
    """One plain-Optuna search; return its queries in trial order and the number of repeated architectures."""
    import optuna
    import torch

    from bananas import BananasSampler, TabularEvaluator, get_space

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = get_space("nbgraph", dataset)
    evaluator = TabularEvaluator(space)

    def objective(trial: optuna.Trial) -> float:
        arch = space.suggest(trial)
        metrics = evaluator.evaluate(arch).metrics
        trial.set_user_attr("arch", space.to_string(arch))
        trial.set_user_attr("test_acc", metrics["test_acc"])
        return metrics["valid_acc"]

    study = optuna.create_study(direction="maximize", sampler=BananasSampler(space=space, seed=seed))
    study.optimize(objective, n_trials=budget, n_jobs=n_jobs)
    queries = [
        {"arch": t.user_attrs["arch"], "valid_acc": t.value, "test_acc": t.user_attrs["test_acc"]} for t in study.trials
    ]
    keys = [space.key(space.from_string(q["arch"])) for q in queries]
    return queries, len(keys) - len(set(keys))


def main() -> None:
    from bananas.regret import regret_curves

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="benchmark-out")
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--n-jobs", type=int, default=4)
    args = parser.parse_args()
    cold = json.loads((Path(args.results) / args.dataset / "results.json").read_text())
    runs = cold["runs"]["bananas"]
    budget = len(runs[0]["queries"])
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        out = list(
            pool.map(
                run,
                [args.dataset] * len(runs),
                [r["seed"] for r in runs],
                [budget] * len(runs),
                [args.n_jobs] * len(runs),
            )
        )
    best = cold["table_best"]
    for name, curves in (
        (f"study.optimize(n_jobs={args.n_jobs})", [regret_curves(q, best)["valid"] for q, _ in out]),
        ("bananas search", [regret_curves(r["queries"], best)["valid"] for r in runs]),
    ):
        c = np.array(curves)
        cells = [f"@{k} {mean_se(c[:, k - 1])}" for k in (50, 100, 150) if k <= budget]
        print(f"{args.dataset} {name:28s} " + "  ".join(cells))
    print(f"repeated architectures with n_jobs={args.n_jobs}: {sum(d for _, d in out)} in {len(out)} runs")


if __name__ == "__main__":
    main()
