"""Kendall tau of the MLP ensemble per encoding and dataset: a Markdown table.

python scripts/encoding_table.py --datasets cora,citeseer,pubmed,cs,arxiv --seeds 5
"""

import argparse

import numpy as np

from bananas.encodings import ENCODINGS
from bananas.predictor_eval import predictor_eval
from bananas.spaces import get_tabular_space
from bananas.stats import mean_se


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="cora,citeseer,pubmed,cs,arxiv")
    parser.add_argument("--encodings", default=",".join(ENCODINGS))
    parser.add_argument("--n-train", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    datasets, encodings = args.datasets.split(","), args.encodings.split(",")
    print(f"Kendall tau, mean ± s.e. over {args.seeds} seeds; {args.n_train} training archs, 2,000 test archs\n")
    print("| encoding | " + " | ".join(datasets) + " |")
    print("|---" * (len(datasets) + 1) + "|")
    for enc in encodings:
        cells = []
        for ds in datasets:
            space = get_tabular_space("nbgraph", ds)
            taus = np.array(
                [
                    predictor_eval(space, encoding=enc, predictor="mlp", n_train=args.n_train, seed=s)["kendall_tau"]
                    for s in range(args.seeds)
                ]
            )
            cells.append(mean_se(taus))
        print(f"| {enc} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
