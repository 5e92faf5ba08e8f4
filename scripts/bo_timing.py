"""Seconds for one BANANAS iteration (model fit + pool + a batch of picks) at given numbers of observations.

python scripts/bo_timing.py --observations 150 500 1000 2000 --repeats 5
python scripts/bo_timing.py --objectives valid_acc latency   # several objectives: qLogNEHVI
python scripts/bo_timing.py --n-random 1000                  # a bigger pool than the search's default
python scripts/bo_timing.py --steps 100                      # the ensemble's fast setting
"""

import argparse
import time

import numpy as np
import torch

from bananas.acquisition import get_acquisition
from bananas.bo import BananasStep
from bananas.encodings import DEFAULT_ENCODING, encoder_for
from bananas.history import History
from bananas.objectives import maximized
from bananas.pareto import DEFAULT_MO_ACQUISITION, MULTI_OBJECTIVE
from bananas.spaces import get_tabular_space


def iteration(step: BananasStep, history: History, rng: np.random.Generator) -> tuple[float, float, int]:
    """Fit once and pick a batch (each pick pending for the next); return the seconds in all and in the
    fit (pool, encoding, model fit, pool predictions), and the pool's size."""
    history = History(list(history.archs), list(history.values), [], set(history.seen))
    start = time.perf_counter()
    step.fit = step.fit_model(history, rng)
    for _ in range(step.batch_size):
        proposal = step.pick(history, rng)
        if proposal is None:
            break
        history.pending.append(proposal.arch)
        history.seen.add(step.space.key(proposal.arch))
    return time.perf_counter() - start, step.fit.seconds, len(step.fit.pool)


def values(metrics: dict, objectives: list[str]) -> float | tuple[float, ...]:
    """An observation as the BANANAS step reads it: higher is better; several objectives as a tuple."""
    oriented = tuple(metrics[o] if maximized(o) else -metrics[o] for o in objectives)
    return oriented if len(oriented) > 1 else oriented[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--observations", type=int, nargs="+", default=[150])
    parser.add_argument("--n-random", type=int, help="random candidates in the pool (default: the search's)")
    parser.add_argument("--steps", type=int, help="the ensemble's updates per fit at most (default: its own)")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--objectives", nargs="+", default=["valid_acc"], help="table metrics; accuracies up, the others down"
    )
    parser.add_argument("--mo-acquisition", default=DEFAULT_MO_ACQUISITION, choices=MULTI_OBJECTIVE)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = get_tabular_space("nbgraph", args.dataset)
    pool_kwargs = {} if args.n_random is None else {"n_random": args.n_random}
    for n_obs in args.observations:
        times, fits, sizes = [], [], []
        for seed in range(args.repeats):
            rng = np.random.default_rng(seed)
            archs = space.unique(space.sample(rng) for _ in range(2 * n_obs))[:n_obs]
            history = History(
                archs, [values(space.lookup(a), args.objectives) for a in archs], [], {space.key(a) for a in archs}
            )
            step = BananasStep(
                space,
                encoder_for(DEFAULT_ENCODING, space),
                get_acquisition("ei"),
                batch_size=args.batch_size,
                pool_kwargs=pool_kwargs,
                predictor_options={} if args.steps is None else {"steps": args.steps},
                mo_acquisition=args.mo_acquisition,
            )
            iteration(step, history, rng)  # warm-up: imports, encoding cache of the observations
            seconds, fit, size = iteration(step, history, rng)
            times.append(seconds)
            fits.append(fit)
            sizes.append(size)
        print(
            f"{args.dataset} ({', '.join(args.objectives)}"
            + (f"; {args.mo_acquisition}" if len(args.objectives) > 1 else "")
            + f"): {n_obs} observations, "
            f"pools of {min(sizes)}-{max(sizes)} candidates, "
            f"{args.threads} thread(s): {np.mean(times):.3f} s per iteration of {args.batch_size} picks "
            f"(fit and pool {np.mean(fits):.3f} s; max {np.max(times):.3f} s, {args.repeats} repeats)",
            flush=True,
        )


if __name__ == "__main__":
    main()
