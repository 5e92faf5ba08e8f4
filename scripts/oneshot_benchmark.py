"""One-shot methods against BANANAS and random search at the same wall-clock budget (issue 17).

python scripts/oneshot_benchmark.py --dataset fashion-mnist --seconds 240 --seeds 3 --out oneshot.json

Every method searches the NB-201 space with real training (the same standalone training for every
evaluated architecture: ``--epochs`` on ``--train-subset`` images) for ``--seconds`` of wall clock per
seed, in its own process (``--workers`` at a time, one thread each). The final architecture of a run is
its best by validation accuracy among the trials finished within the budget; reported: its test
accuracy (mean and standard error over seeds), the evaluations done, and the seconds each run took to
reach plain BANANAS's final validation accuracy of the same seed (``-`` where it never did). The
one-shot methods repeat their search with the next seed while time is left; ``bananas-supernet`` and
``bananas-params`` are BANANAS with ``--fidelity supernet`` and ``--fidelity params``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from bananas.stats import mean_se

METHODS = ("random", "bananas", "bananas-supernet", "bananas-params", "random-ws", "darts", "cdarts")
FIDELITY = {"bananas-supernet": "supernet", "bananas-params": "params"}  # BANANAS with --fidelity


def run(method: str, seed: int, args: argparse.Namespace) -> dict:
    """One timed search; return its trials' (seconds since the start, valid, test, arch, the fidelity's weight
    in the pick), finishing order."""
    import optuna
    import torch

    from bananas.search import run_search
    from bananas.spaces.nb201 import NB201Space
    from bananas.training import TrainConfig, TrainingEvaluator

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = NB201Space(args.dataset)
    config = TrainConfig(epochs=args.epochs, train_subset=args.train_subset, channels=args.channels, batch_size=64)
    start = time.perf_counter()
    evaluator = TrainingEvaluator(space, args.dataset, config=config)
    options: dict = {"supernet_epochs": args.supernet_epochs}
    if method.startswith("bananas"):
        options |= {"n_startup_trials": 5, "batch_size": 5}
        options |= {"fidelity": FIDELITY[method]} if method in FIDELITY else {}
    finished: list[tuple[float, float, float, str, float]] = []

    def clock(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state == optuna.trial.TrialState.COMPLETE:
            elapsed = time.perf_counter() - start
            attrs = trial.user_attrs
            finished.append((elapsed, trial.value, attrs["test_acc"], attrs["arch"], attrs.get("prior_weight", 0.0)))
        if time.perf_counter() - start > args.seconds:
            study.stop()

    name = "bananas" if method in FIDELITY else method
    run_search(space, evaluator, method=name, budget=10_000, seed=seed, sampler_options=options, callbacks=[clock])
    return {"method": method, "seed": seed, "trials": finished}


def summary(runs: list[dict], seconds: float) -> list[str]:
    """Markdown rows: per method, test accuracy of the best-by-validation architecture, evaluations, and
    the seconds to reach plain BANANAS's final validation accuracy of the same seed."""
    final: dict[tuple[str, int], tuple[float, float, int]] = {}
    for r in runs:
        within = [t for t in r["trials"] if t[0] <= seconds]
        best = max(within, key=lambda t: t[1], default=(0.0, float("nan"), float("nan"), ""))
        final[r["method"], r["seed"]] = (best[1], best[2], len(within))
    rows = ["| method | test acc (best by valid) | valid acc | evaluations | s to BANANAS's valid (reached) |"]
    rows.append("|---|---|---|---|---|")
    for method in dict.fromkeys(r["method"] for r in runs):
        mine = [r for r in runs if r["method"] == method]
        test = np.array([final[method, r["seed"]][1] for r in mine])
        valid = np.array([final[method, r["seed"]][0] for r in mine])
        evals = np.mean([final[method, r["seed"]][2] for r in mine])
        reach = []
        for r in mine:
            target = final.get(("bananas", r["seed"]), (np.inf,))[0]
            hit = [t[0] for t in r["trials"] if t[0] <= seconds and t[1] >= target]
            reach.append(min(hit) if hit else None)
        hits = [x for x in reach if x is not None]
        reached = f"{np.mean(hits):.0f} ({len(hits)}/{len(mine)})" if hits else f"- (0/{len(mine)})"
        rows.append(f"| {method} | {mean_se(test, 2)} | {mean_se(valid, 2)} | {evals:.1f} | {reached} |")
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=240, help="wall clock per run")
    p.add_argument("--epochs", type=int, default=2, help="standalone training epochs per evaluation")
    p.add_argument("--train-subset", type=int, default=3000)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--supernet-epochs", type=int, default=10)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", help="write every run's trials as JSON")
    args = p.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        p.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        runs = list(pool.map(run, *zip(*[(m, s, args) for s in range(args.seeds) for m in methods], strict=True)))
    print(f"{args.dataset}, {args.seconds:.0f} s per run, {args.seeds} seeds")
    print("\n".join(summary(runs, args.seconds)))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"args": vars(args), "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
