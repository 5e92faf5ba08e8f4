"""bananas: BANANAS neural architecture search, recorded as Optuna studies.

Public API (imported lazily, so ``import bananas`` stays fast)::

    from bananas import BananasSampler, run_search, get_space, TabularEvaluator
"""

from __future__ import annotations

import importlib
from typing import Any

from bananas._version import __version__

_EXPORTS = {
    "BananasSampler": "bananas.samplers",
    "EvolutionSampler": "bananas.samplers",
    "RandomSearchSampler": "bananas.samplers",
    "BananasStep": "bananas.bo",
    "run_search": "bananas.search",
    "prepare_study": "bananas.study",
    "run_worker": "bananas.workers",
    "METHODS": "bananas.methods",
    "get_space": "bananas.spaces",
    "NBGraphSpace": "bananas.spaces",
    "NB201Space": "bananas.spaces",
    "TrainingEvaluator": "bananas.training",
    "TrainConfig": "bananas.training",
    "Evaluator": "bananas.evaluators",
    "TabularEvaluator": "bananas.evaluators",
    "Result": "bananas.evaluators",
    "run_benchmark": "bananas.benchmark",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bananas' has no attribute {name!r}")
