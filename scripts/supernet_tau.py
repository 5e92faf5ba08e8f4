"""Rank quality of the weight-sharing supernet as a fidelity: Kendall tau between inherited-weights scores
(validation cross-entropy, the fidelity's, and accuracy) and standalone-trained validation accuracy of
random NB-201 architectures (issue 17).

python scripts/supernet_tau.py --dataset fashion-mnist --n-archs 50 --supernet-epochs 30 --epochs 4 \
    --train-subset 6000 --out tau.json

Also printed: the parameter count's correlations (free of training) and, with ``--repeat``, those of a
second standalone training with the next seed (what any fidelity can reach at most).
"""

import argparse
import json
from dataclasses import replace

from bananas.oneshot import OneShotConfig
from bananas.predictor_eval import supernet_rank_quality
from bananas.spaces.nb201 import NB201Space
from bananas.training import TrainConfig, TrainingEvaluator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="fashion-mnist", help="digits, fashion-mnist, cifar10, cifar100")
    p.add_argument("--n-archs", type=int, default=50)
    p.add_argument("--supernet-epochs", type=int, default=30)
    p.add_argument("--epochs", type=int, default=4, help="standalone training epochs")
    p.add_argument("--train-subset", type=int, help="training images (default: all)")
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--score-images", type=int, default=250, help="validation images per score (the fidelity's)")
    p.add_argument(
        "--repeat", action="store_true", help="train every architecture again with the next data and training seed"
    )
    p.add_argument("--out", help="write the figures and every architecture's accuracies as JSON")
    args = p.parse_args()
    space = NB201Space(args.dataset)
    config = TrainConfig(epochs=args.epochs, train_subset=args.train_subset, channels=args.channels, batch_size=64)
    evaluator = TrainingEvaluator(space, args.dataset, config=config)
    again = replace(config, seed=config.seed + 1)
    repeat = TrainingEvaluator(space, args.dataset, config=again) if args.repeat else None
    shot_config = OneShotConfig(epochs=args.supernet_epochs, score_images=args.score_images)
    result = supernet_rank_quality(
        space, evaluator, shot_config, n_archs=args.n_archs, seed=args.seed, score_images=(1000, 3000), repeat=repeat
    )
    print(f"{result['n_archs']} architectures, supernet trained in {result['supernet_seconds']:.0f} s")
    for key, figures in result.items():
        if key.startswith("images_"):
            loss, acc = figures["loss"], figures["accuracy"]
            print(
                f"scored on {key[7:]:>5} validation images: by cross-entropy Kendall tau {loss['kendall_tau']:.3f} "
                f"Spearman rho {loss['spearman_rho']:.3f}; by accuracy Kendall tau {acc['kendall_tau']:.3f} "
                f"Spearman rho {acc['spearman_rho']:.3f}  ({figures['seconds_per_arch'] * 1000:.0f} ms per arch)"
            )
    for key, what in [("params", "the parameter count"), ("repeat", "a second standalone training")]:
        if key in result:
            figures = result[key]
            print(f"{what}: Kendall tau {figures['kendall_tau']:.3f}  Spearman rho {figures['spearman_rho']:.3f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
