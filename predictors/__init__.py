"""Accuracy predictors on feature arrays (importable as ``bananas.predictors``).

Predictors know nothing of spaces, encodings or Optuna: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Callable

from bananas.predictors._base import Predictor
from bananas.predictors._ensemble import MLPEnsemble
from bananas.predictors._gp import GPPredictor
from bananas.predictors.metrics import rank_correlations

PREDICTORS: dict[str, Callable[..., Predictor]] = {"mlp": MLPEnsemble, "gp": GPPredictor}
DEFAULT_PREDICTOR = "mlp"

__all__ = [
    "DEFAULT_PREDICTOR",
    "PREDICTORS",
    "GPPredictor",
    "MLPEnsemble",
    "Predictor",
    "get_predictor",
    "rank_correlations",
]


def get_predictor(name: str, *, seed: int | None = None, **options: object) -> Predictor:
    """Return a new predictor called ``name`` seeded with ``seed`` (``options`` go to its
    constructor); ValueError naming the choices otherwise."""
    if name not in PREDICTORS:
        raise ValueError(f"unknown predictor {name!r}; choose one of {', '.join(PREDICTORS)}")
    return PREDICTORS[name](seed=seed, **options)
