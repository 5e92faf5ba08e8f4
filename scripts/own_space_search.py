"""Search your own space (scripts/my_space.py: a cell of your ops + learning rate + width) with
``BananasSampler`` in a plain ``optuna.create_study``, training each network on Fashion-MNIST; with
``--method random`` the same budget of random architectures. Prints each seed's best-by-validation
architecture, its test accuracy, and the time per evaluation.

python scripts/own_space_search.py --method bananas --seeds 0 1 2 --budget 40 --epochs 1 --train-subset 5000
"""

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm.auto import tqdm


def search(method: str, seed: int, args: argparse.Namespace) -> dict:
    import optuna
    import torch

    from bananas import BananasSampler, RandomSearchSampler, TrainConfig, TrainingEvaluator
    from bananas.spaces import get_space

    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = get_space(str(Path(__file__).with_name("my_space.py")) + ":SPACE", args.dataset)
    config = TrainConfig(epochs=args.epochs, train_subset=args.train_subset, batch_size=64, seed=seed)
    evaluator = TrainingEvaluator(space, args.dataset, args.data_dir, config)
    sampler_class = BananasSampler if method == "bananas" else RandomSearchSampler
    study = optuna.create_study(direction="maximize", sampler=sampler_class(space=space, seed=seed))

    def objective(trial: optuna.Trial) -> float:
        arch = space.suggest(trial)  # the cell's params and lr, channels: ordinary trial params
        result = evaluator.evaluate(arch)
        if not result.ok:
            raise RuntimeError(result.reason)  # a FAIL trial with its reason; the search goes on
        trial.set_user_attr("test_acc", result.metrics["test_acc"])
        trial.set_user_attr("seconds", result.cost)
        return result.metrics["valid_acc"]

    start = time.perf_counter()
    study.optimize(objective, n_trials=args.budget, catch=(RuntimeError,))
    best = study.best_trial
    return {
        "method": method,
        "seed": seed,
        "best": space.to_string(space.from_params(best.params)),
        "valid_acc": best.value,
        "test_acc": best.user_attrs["test_acc"],
        "wall_seconds": time.perf_counter() - start,
        "seconds_per_evaluation": sum(t.user_attrs.get("seconds", 0) for t in study.trials) / len(study.trials),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", nargs="+", default=["bananas"], choices=("bananas", "random"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-subset", type=int, default=5000)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--data-dir", help="the Fashion-MNIST idx files (default: Debian's dataset-fashion-mnist)")
    parser.add_argument("--workers", type=int, default=1, help="searches run side by side")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per search")
    parser.add_argument("--out", help="write the runs as JSON here")
    args = parser.parse_args()
    jobs = [(m, s) for m in args.method for s in args.seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(search, m, s, args) for m, s in jobs]
        for _ in tqdm(as_completed(futures), total=len(futures), desc="searches", unit="search"):
            pass
        runs = [f.result() for f in futures]
    for run in runs:
        print(json.dumps(run))
    for method in args.method:
        tests = [r["test_acc"] for r in runs if r["method"] == method]
        per_eval = [r["seconds_per_evaluation"] for r in runs if r["method"] == method]
        print(
            f"{method}: mean test acc of the best-by-validation {sum(tests) / len(tests):.2f}% over "
            f"{len(tests)} seeds; {sum(per_eval) / len(per_eval):.1f} s per evaluation"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
