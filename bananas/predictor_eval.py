"""Rank quality of a predictor + encoding: train on n random architectures, test on others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bananas.encodings import encoder_for
from bananas.predictors import get_predictor, rank_correlations
from bananas.spaces import TabularSpace
from bananas.stats import stderr


def predictor_eval(
    space: TabularSpace, *, encoding: str, predictor: str, n_train: int, n_test: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Return Kendall tau and Spearman rho on ``n_test`` architectures after training on ``n_train``.

    Train and test sets are disjoint by canonical key, drawn with ``seed`` from the architectures the
    table holds. ValueError if the table holds fewer than ``n_train + n_test``.
    """
    in_table = set(space.all_keys())
    if n_train + n_test > len(in_table):
        raise ValueError(
            f"{n_train} training + {n_test} test architectures exceed the {len(in_table)} in the table of "
            f"{space.dataset}; lower --n-test to at most {max(0, len(in_table) - n_train)}"
            + ("" if n_train < len(in_table) else " and --n-train below the table's size")
        )
    rng = np.random.default_rng(seed)
    archs: list = []
    keys: set = set()
    while len(archs) < n_train + n_test:
        arch = space.sample(rng)
        key = space.key(arch)
        if key not in keys and key in in_table:
            keys.add(key)
            archs.append(arch)
    y = np.array([space.lookup(a)["valid_acc"] for a in archs])
    enc = encoder_for(encoding, space)
    X = enc.transform(archs)
    model = get_predictor(predictor, seed=seed).fit(X[:n_train], y[:n_train])
    pred = model.predict(X[n_train:]).mean(axis=0)
    return {
        "encoding": encoding,
        "predictor": predictor,
        "n_train": n_train,
        "seed": seed,
        **rank_correlations(y[n_train:], pred),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Return mean and standard error over ``rows`` (``predictor_eval`` results) of each rank correlation."""
    out = {}
    for key in ("kendall_tau", "spearman_rho"):
        vals = np.array([r[key] for r in rows])
        out[key] = (float(vals.mean()), stderr(vals))
    return out


def supernet_rank_quality(
    space: Any,
    evaluator: Any,
    config: Any,
    *,
    n_archs: int = 50,
    seed: int = 0,
    score_images: Sequence[int] = (),
    repeat: Any = None,
) -> dict[str, Any]:
    """Kendall tau and Spearman rho between a supernet's inherited-weights scores (minus the validation
    cross-entropy, the fidelity's ``rank_score``, and the accuracy) and the standalone-trained validation
    accuracy of ``n_archs`` distinct random architectures of ``space``.

    The supernet is trained once by random-ws (``bananas.oneshot``, settings ``config``) on the data of
    ``evaluator`` (a ``TrainingEvaluator``), which also trains each architecture standalone;
    ``score_images``: also score with these numbers of validation images (the fidelity's cost).
    Also given: the rank correlations of the parameter count (a score free of training), and with
    ``repeat`` (another ``TrainingEvaluator``, e.g. another seed) those of a second standalone training:
    how far training itself ranks alike twice, the ceiling of any fidelity.
    """
    import time
    from dataclasses import replace

    from tqdm.auto import tqdm

    from bananas.oneshot import OneShot

    rng = np.random.default_rng(seed)
    archs = space.unique(space.sample(rng) for _ in range(20 * n_archs))[:n_archs]
    shot = OneShot("random-ws", space, evaluator.trainer, config)
    start = time.perf_counter()
    shot.train(seed)
    out: dict[str, Any] = {"n_archs": len(archs), "supernet_seconds": time.perf_counter() - start}
    trained = [evaluator.evaluate(a).metrics for a in tqdm(archs, desc="standalone training")]
    standalone = np.array([m["valid_acc"] for m in trained])
    out["params"] = rank_correlations(standalone, np.array([m["params_m"] for m in trained]))
    if repeat is not None:
        again = [repeat.evaluate(a).metrics["valid_acc"] for a in tqdm(archs, desc="standalone training again")]
        out["repeat"] = rank_correlations(standalone, np.array(again))
    scores = {}
    for n in [config.score_images, *score_images]:
        shot.config = replace(config, score_images=n)
        start = time.perf_counter()
        scores[n] = np.array([shot.scores(a) for a in archs])  # accuracy, cross-entropy
        seconds = (time.perf_counter() - start) / len(archs)
        out[f"images_{n}"] = {
            "loss": rank_correlations(standalone, -scores[n][:, 1]),  # the fidelity's rank_score
            "accuracy": rank_correlations(standalone, scores[n][:, 0]),
            "seconds_per_arch": seconds,
        }
    out["archs"] = [
        {"arch": space.to_string(a), "standalone_valid_acc": s, "inherited_valid_acc": i, "inherited_valid_loss": c}
        for a, s, (i, c) in zip(archs, standalone.tolist(), scores[config.score_images].tolist(), strict=True)
    ]
    return out
