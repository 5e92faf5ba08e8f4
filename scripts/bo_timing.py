"""Seconds for one BANANAS iteration (fit + pool + acquisition) at a given number of observations.

python scripts/bo_timing.py --observations 150 --min-candidates 1000 --repeats 5
"""

import argparse
import time

import numpy as np
import torch

from bananas.samplers import BananasSampler
from bananas.samplers._base import History
from bananas.spaces import get_tabular_space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--observations", type=int, default=150)
    parser.add_argument("--min-candidates", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = get_tabular_space("nbgraph", args.dataset)
    times, sizes = [], []
    for seed in range(args.repeats):
        rng = np.random.default_rng(seed)
        archs = space.unique(space.sample(rng) for _ in range(2 * args.observations))[: args.observations]
        history = History(archs, [space.lookup(a)["valid_acc"] for a in archs], [], {space.key(a) for a in archs})
        # enough random candidates on top of the mutations that the pool holds at least --min-candidates
        sampler = BananasSampler(space=space, seed=seed, pool_kwargs={"n_random": args.min_candidates})
        sizes.append(len(sampler._candidates(history)))
        sampler._plan(history)  # warm-up: imports, encoding cache of the observations
        start = time.perf_counter()
        sampler._plan(history)
        times.append(time.perf_counter() - start)
    print(
        f"{args.dataset}: {args.observations} observations, pools of {min(sizes)}-{max(sizes)} candidates, "
        f"{args.threads} thread(s): {np.mean(times):.3f} s per iteration (max {np.max(times):.3f} s, "
        f"{args.repeats} repeats)"
    )


if __name__ == "__main__":
    main()
