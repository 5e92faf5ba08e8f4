"""Rank quality of a predictor + encoding: train on n random architectures, test on others."""

from __future__ import annotations

from typing import Any

import numpy as np

from bananas.encodings import encoder_for
from bananas.predictors import get_predictor, rank_correlations
from bananas.spaces import TabularSpace


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
        out[key] = (float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else 0.0)
    return out
