"""Does weight inheritance reach the same validation accuracy in less time? Paired runs on digits.

    python scripts/weight_inheritance.py --pairs 20 --epochs 6

For each pair: a random parent is trained from scratch; one child one edge op
away (canonical forms) is trained (a) from scratch for ``--epochs`` and (b) from
the parent's weights for ``--inherit-epochs`` (default: half). Prints the mean
validation accuracy and training seconds of (a) and (b), and the paired
difference with its standard error.
"""

from __future__ import annotations

import argparse

import numpy as np

from bananas.spaces import NB201Space
from bananas.stats import stderr
from bananas.training import TrainConfig, TrainingEvaluator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--inherit-epochs", type=int, default=None)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    space = NB201Space("digits")
    rng = np.random.default_rng(args.seed)
    common = dict(epochs=args.epochs, channels=args.channels, seed=args.seed, device="auto")
    scratch = TrainingEvaluator(space, "digits", config=TrainConfig(**common))  # type: ignore[arg-type]
    rows = []
    for k in range(args.pairs):
        inheriting = TrainingEvaluator(
            space,
            "digits",
            config=TrainConfig(**common, inherit_weights=True, inherit_epochs=args.inherit_epochs),  # type: ignore[arg-type]
        )
        parent = space.canonical(space.sample(rng))
        children = [
            c
            for c in space.neighbors(parent)
            if sum(a != b for a, b in zip(space.canonical(c), parent, strict=True)) == 1
        ]
        child = children[rng.integers(len(children))]
        inheriting.evaluate(parent)
        a, b = scratch.evaluate(child).metrics, inheriting.evaluate(child).metrics
        assert "inherited_from" in b, "the child did not inherit"
        rows.append((a["valid_acc"], b["valid_acc"], a["train_seconds"], b["train_seconds"], b["inherited_fraction"]))
        print(
            f"pair {k:2d}: scratch {a['valid_acc']:.2f}% in {a['train_seconds']:.1f} s | "
            f"inherited ({b['inherited_fraction']:.0%} of weights) {b['valid_acc']:.2f}% in {b['train_seconds']:.1f} s"
        )
    r = np.array(rows)
    diff = r[:, 1] - r[:, 0]
    se = stderr(diff)
    print(f"\n{len(r)} pairs, {args.epochs} epochs from scratch vs {b['epochs']} inherited, {args.channels} channels")
    print(f"scratch    valid {r[:, 0].mean():.2f}%  train {r[:, 2].mean():.2f} s")
    print(f"inherited  valid {r[:, 1].mean():.2f}%  train {r[:, 3].mean():.2f} s  ({r[:, 4].mean():.0%} of weights)")
    print(f"inherited - scratch: {diff.mean():+.2f} ± {se:.2f} pp valid, time x{r[:, 3].mean() / r[:, 2].mean():.2f}")


if __name__ == "__main__":
    main()
