"""Warm start vs cold start of BANANAS, from the search logs of a finished ``bananas benchmark``.

bananas benchmark --dataset citeseer --methods bananas --out benchmark-out/citeseer   # and cora
python scripts/warm_start_benchmark.py --results benchmark-out --source citeseer --target cora
python scripts/warm_start_benchmark.py --results benchmark-out --source cora --target cora --prior-queries 50
"""

import argparse

import numpy as np

from bananas.benchmark import warm_start_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="benchmark-out", help="folder with SOURCE/ and TARGET/results.json")
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--prior-queries", type=int, default=150, help="prior evaluations used (default: 150)")
    parser.add_argument("--budget", type=int, default=50, help="new queries of the warm run (default: 50)")
    parser.add_argument("--checkpoints", default="25,50,100", help="query counts to report")
    args = parser.parse_args()
    curves = warm_start_study(
        args.results, "nbgraph", args.source, args.target, prior_queries=args.prior_queries, budget=args.budget
    )
    kind = "same dataset" if args.source == args.target else "transfer"
    print(
        f"{args.source} -> {args.target} ({kind}, {args.prior_queries} prior evaluations), validation regret "
        f"(pp), mean ± s.e. over {len(curves['cold'])} seeds"
    )
    for k in map(int, args.checkpoints.split(",")):
        cells = []
        for name in ("warm", "cold"):
            c = curves[name]
            if k <= c.shape[1]:
                col = c[:, k - 1]
                cells.append(f"{name} {col.mean():.3f} ± {col.std(ddof=1) / np.sqrt(len(col)):.3f}")
        print(f"  after {k:3d} queries: " + "   ".join(cells))


if __name__ == "__main__":
    main()
