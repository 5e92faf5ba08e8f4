"""BananasSampler() with no space, against Optuna's TPE and GP samplers, on an objective that suggests
NAS-Bench-Graph's params itself (``link1..3``, ``op0..3``), as a user's own objective would.

Every method sees the same plain Optuna study and objective; no sampler knows the space. A cell that
is no network (all ops ``skip``) is a FAIL trial and counts as a query with no accuracy.

python scripts/generic_benchmark.py --dataset cora --seeds 30 --budget 150 --out benchmark-out/generic-cora
"""

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

SAMPLERS = ("bananas", "tpe", "gp")


def make_sampler(name: str, seed: int):
    import optuna

    from bananas import BananasSampler

    if name == "bananas":
        return BananasSampler(seed=seed)
    return {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler}[name](seed=seed)


def run(dataset: str, method: str, seed: int, budget: int) -> dict:
    """One plain-Optuna study; return its queries in trial order (failed ones with no accuracy)."""
    import warnings

    import optuna
    import torch

    from bananas import get_space

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    space = get_space("nbgraph", dataset)

    def objective(trial: optuna.Trial) -> float:
        params = {f"link{i}": trial.suggest_int(f"link{i}", 0, i) for i in (1, 2, 3)}
        params |= {f"op{i}": trial.suggest_categorical(f"op{i}", space.op_names) for i in range(4)}
        arch = space.from_params(params)
        if not space.is_valid(arch):
            raise ValueError("a cell of skips only is no network")
        metrics = space.lookup(arch)
        trial.set_user_attr("test_acc", metrics["test_acc"])
        return metrics["valid_acc"]

    study = optuna.create_study(direction="maximize", sampler=make_sampler(method, seed))
    study.optimize(objective, n_trials=budget, catch=(ValueError,))
    queries = [{"valid_acc": t.value or 0.0, "test_acc": t.user_attrs.get("test_acc", 0.0)} for t in study.trials]
    return {"method": method, "seed": seed, "queries": queries, "bo_seconds": []}


def main() -> None:
    from bananas.benchmark import CHECKPOINTS, markdown_table, plot_regret, summarize
    from bananas.spaces import get_tabular_space

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--methods", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--out", default="benchmark-out/generic")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(args.dataset, m, s, args.budget) for m in args.methods for s in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run, *job) for job in jobs]
        runs = [f.result() for f in tqdm(futures, desc=f"generic {args.dataset}", unit="run")]
    results = {
        "space": "nbgraph (params suggested by the objective, no space given to the sampler)",
        "dataset": args.dataset,
        "budget": args.budget,
        "n_seeds": args.seeds,
        "table_best": get_tabular_space("nbgraph", args.dataset).best(),
        "runs": {m: [r for r in runs if r["method"] == m] for m in args.methods},
    }
    summary = summarize(results, [k for k in CHECKPOINTS if k <= args.budget] or [args.budget])
    (out / "results.json").write_text(json.dumps({**results, "summary": summary}, indent=1))
    table = markdown_table(results, summary)
    (out / "results.md").write_text(table)
    plot_regret(results, out / "regret.png")
    print(table)


if __name__ == "__main__":
    main()
