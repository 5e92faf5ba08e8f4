"""Multi-objective search on NAS-Bench-Graph: validation accuracy up, latency (or parameters) down.

Every method runs a plain Optuna study with two directions on the same objective. The table
enumerates every architecture, so its true Pareto front is known: the hypervolume regret after k
queries is the true front's hypervolume minus that of the architectures found, both objectives
scaled to [0, 1] by the table's range, reference point at the worst of each (0, 0).

python scripts/pareto_benchmark.py --dataset cora --cost latency --seeds 30 --budget 150
"""

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

METHODS = ("bananas", "random", "nsga2", "tpe", "gp")
CHECKPOINTS = (25, 50, 75, 100, 150)


def scaled(rows: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(accuracy, cost) rows -> both in [0, 1], higher better."""
    return np.column_stack([(rows[:, 0] - low[0]) / (high[0] - low[0]), (high[1] - rows[:, 1]) / (high[1] - low[1])])


def table(dataset: str, cost: str) -> np.ndarray:
    """Every architecture's (validation accuracy, cost) in the table."""
    from bananas.spaces import get_space
    from bananas.spaces.nbgraph import _table

    space = get_space("nbgraph", dataset)
    rows = _table(space.dataset).values()
    column = {"latency": "latency", "params_m": "para"}[cost]
    return np.array([[100.0 * float(r["valid_perf"]), float(r[column])] for r in rows])


def run(dataset: str, cost: str, method: str, seed: int, budget: int) -> dict:
    """One study; return its hypervolume regret after each query."""
    import warnings

    import optuna
    import torch

    from bananas import BananasSampler, get_space
    from bananas.pareto import hypervolume
    from bananas.samplers import RandomSearchSampler

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    space = get_space("nbgraph", dataset)
    rows = table(dataset, cost)
    low, high = rows.min(axis=0), rows.max(axis=0)
    true = hypervolume(scaled(rows, low, high), [0.0, 0.0])
    samplers = {
        "bananas": lambda: BananasSampler(space=space, seed=seed),
        "random": lambda: RandomSearchSampler(space=space, seed=seed),
        "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "gp": lambda: optuna.samplers.GPSampler(seed=seed),
    }
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=samplers[method]())

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        metrics = space.lookup(space.suggest(trial))  # a cell of skips only: ValueError, a FAIL trial
        return metrics["valid_acc"], metrics[cost]

    study.optimize(objective, n_trials=budget, catch=(ValueError,))
    front, regret = np.empty((0, 2)), [true]
    for t in study.trials:
        point = scaled(np.array([t.values]), low, high) if t.values is not None else None
        if point is not None and not ((front >= point).all(axis=1)).any():  # it grows the front
            front = np.vstack([front, point])
            regret.append(true - hypervolume(front, [0.0, 0.0]))
        else:
            regret.append(regret[-1])
    return {"method": method, "seed": seed, "regret": regret[1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--cost", default="latency", choices=("latency", "params_m"))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--gp-seeds", type=int, help="fewer seeds for GPSampler (minutes per run)")
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--out", help="write the runs as JSON here")
    args = parser.parse_args()
    seeds = {m: args.gp_seeds if m == "gp" and args.gp_seeds else args.seeds for m in args.methods}
    jobs = [(args.dataset, args.cost, m, s, args.budget) for m in args.methods for s in range(seeds[m])]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run, *job) for job in jobs]
        runs = [f.result() for f in tqdm(as_completed(futures), total=len(jobs), desc="pareto", unit="run")]
    ks = [k for k in CHECKPOINTS if k <= args.budget]
    print(f"# nbgraph / {args.dataset}: hypervolume regret (valid_acc up, {args.cost} down), mean ± s.e.\n")
    print("| method | seeds | " + " | ".join(f"{k} queries" for k in ks) + " |")
    print("|---" * (len(ks) + 2) + "|")
    for method in args.methods:
        curves = np.array([r["regret"] for r in runs if r["method"] == method])
        cells = [
            f"{curves[:, k - 1].mean():.4f} ± {curves[:, k - 1].std(ddof=1) / np.sqrt(len(curves)):.4f}"
            if len(curves) > 1
            else f"{curves[0, k - 1]:.4f}"
            for k in ks
        ]
        print(f"| {method} | {len(curves)} | " + " | ".join(cells) + " |")
    if args.out:
        Path(args.out).write_text(json.dumps(runs))


if __name__ == "__main__":
    main()
