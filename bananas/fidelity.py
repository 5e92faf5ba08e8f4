"""Fidelities: cheap scores of architectures that BANANAS uses as far as the real evaluations agree.

A fidelity is a *prior* of the BANANAS step (``BananasStep(prior=...)``), the same
slot a transfer prior takes (``bananas.transfer``): it is weighted by Kendall's
tau between its scores and the observed values, less chance (``prior_weight``),
and used only while that weight is positive (start picks, one more input of the
predictor). A fidelity that does not rank the real evaluations costs its own
computation and nothing more. Two fidelities (``bananas search --fidelity``), measured in
docs/benchmarks.md ("One-shot search"):

- ``supernet``: minus an architecture's validation cross-entropy with the
  weights it inherits from a random-ws supernet (``bananas.oneshot``);
- ``params``: the logarithm of its network's parameter count, exact and free.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from bananas.oneshot import OneShot, OneShotConfig, one_shot_config
from bananas.spaces.nb201 import NB201Space
from bananas.trainer import Trainer

SUPERNET_SCORE_IMAGES = 250  # ranks as well as 1,000 or 3,000 images here, 4x cheaper (docs/benchmarks.md)
REFERENCE_ARCHS = 30  # random architectures whose scores set the fidelity's standard units


def supernet_config(epochs: int | None = None) -> OneShotConfig:
    """The supernet training of ``--fidelity supernet``: ``OneShotConfig``'s defaults (``epochs`` if given),
    architectures scored on ``SUPERNET_SCORE_IMAGES`` validation images."""
    return one_shot_config(epochs, score_images=SUPERNET_SCORE_IMAGES)


class _Fidelity:
    """Scores in standard units of ``REFERENCE_ARCHS`` random architectures' scores, cached per architecture;
    a subclass gives ``_raw(arch)`` and may ``_prepare()`` before the first score."""

    def __init__(self, space: NB201Space, seed: int = 0) -> None:
        self.space, self.seed = space, seed
        self._units: tuple[float, float] | None = None  # center, scale
        self._scores: dict[Hashable, float] = {}

    def __call__(self, archs: Sequence[Any]) -> np.ndarray:
        """Return the standardized scores of ``archs``."""
        if self._units is None:
            rng = self._prepare()
            reference = self.space.unique(self.space.sample(rng) for _ in range(20 * REFERENCE_ARCHS))
            scores = np.array([self._score(a) for a in reference[:REFERENCE_ARCHS]])
            self._units = float(scores.mean()), float(scores.std()) or 1.0
        center, scale = self._units
        return (np.array([self._score(a) for a in archs], dtype=np.float64) - center) / scale

    def _prepare(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def _score(self, arch: Any) -> float:
        key = self.space.key(tuple(arch))
        if key not in self._scores:
            self._scores[key] = self._raw(arch)
        return self._scores[key]

    def _raw(self, arch: Any) -> float:
        raise NotImplementedError


class SupernetFidelity(_Fidelity):
    """BANANAS's near-free fidelity ``--fidelity supernet``: minus an architecture's inherited-weights
    validation cross-entropy (``OneShot.rank_score``) in a supernet trained once by random-ws at the first
    call (``config``, by default ``supernet_config()``)."""

    def __init__(self, space: NB201Space, trainer: Trainer, config: OneShotConfig | None = None, seed: int = 0) -> None:
        super().__init__(space, seed)
        self.shot = OneShot("random-ws", space, trainer, config or supernet_config())

    def _prepare(self) -> np.random.Generator:
        start = time.perf_counter()
        rng = self.shot.train(self.seed)
        self.shot.seconds = time.perf_counter() - start
        return rng

    def _raw(self, arch: Any) -> float:
        return self.shot.rank_score(arch)


class ParamsFidelity(_Fidelity):
    """``--fidelity params``: the logarithm of the parameter count of an architecture's network as the
    training evaluator builds it (``trainer``'s channels and cells, its data's shape and classes), counted
    exactly without building it (``bananas.nets.network_costs``)."""

    def __init__(self, space: NB201Space, trainer: Trainer, seed: int = 0) -> None:
        super().__init__(space, seed)
        cfg, splits = trainer.config, trainer.splits
        self._skeleton = {"channels": cfg.channels, "n_cells": cfg.n_cells, "shape": splits.shape}
        self._classes = splits.n_classes

    def _raw(self, arch: Any) -> float:
        from bananas.nets import network_costs

        return math.log(network_costs(arch, self._classes, **self._skeleton)[0])
