"""Fidelities: cheap numbers per architecture that BANANAS's predictor reads beside the encoding."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bananas.oneshot import OneShot, OneShotConfig
from bananas.spaces.nb201 import NB201Space
from bananas.trainer import Trainer


class SupernetFidelity:
    """BANANAS's near-free fidelity (``--fidelity supernet``): an architecture's inherited-weights validation
    accuracy, scaled to [0, 1], in a supernet trained once by random-ws at the first call (then cached per
    architecture)."""

    def __init__(self, space: NB201Space, trainer: Trainer, config: OneShotConfig | None = None, seed: int = 0) -> None:
        self.shot = OneShot("random-ws", space, trainer, config)
        self.seed = seed
        self._scores: dict[Any, float] = {}

    def __call__(self, arch: Sequence[str]) -> float:
        if self.shot.supernet is None:
            start = time.perf_counter()
            self.shot.train(self.seed)
            self.shot.seconds = time.perf_counter() - start
        key = self.shot.space.key(tuple(arch))
        if key not in self._scores:
            self._scores[key] = self.shot.accuracy(arch) / 100.0
        return self._scores[key]
