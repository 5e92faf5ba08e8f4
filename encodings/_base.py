"""The Encoder seam: architectures of a space to a ``n x d`` float array.

Encoders read only a space's ``op_names``, ``n_nodes``, ``key`` and ``graph``.
Features are exact small integers stored as floats, so BoTorch's ``X_avoid``
can match rows exactly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np


class Encoder(ABC):
    """Fit on a space, then ``transform`` batches of its architectures.

    Each architecture's feature indices are computed once and cached by its
    canonical key; ``transform`` scatters them into one array.
    """

    def __init__(self) -> None:
        self._space: Any = None
        self._cache: dict[Hashable, tuple[np.ndarray, np.ndarray]] = {}

    def fit(self, space: Any) -> Encoder:
        """Set up the feature layout for ``space``; return ``self``."""
        self._space = space
        self._cache.clear()
        self._fit(space)
        return self

    @property
    @abstractmethod
    def n_features(self) -> int:
        """Number of columns ``d`` of ``transform``'s output."""

    @abstractmethod
    def _fit(self, space: Any) -> None: ...

    @abstractmethod
    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        """Return (column indices, values) of one architecture's non-zero features."""

    def transform(self, archs: Sequence[Any]) -> np.ndarray:
        """Return the ``n x d`` feature array of ``archs`` (float64)."""
        if self._space is None:
            raise RuntimeError("call fit(space) before transform(archs)")
        rows, cols, vals = [], [], []
        for r, arch in enumerate(archs):
            key = self._space.key(arch)
            if key not in self._cache:
                self._cache[key] = self._features(arch)
            c, v = self._cache[key]
            rows.append(np.full(len(c), r))
            cols.append(c)
            vals.append(v)
        n, d = len(archs), self.n_features
        if not rows:
            return np.zeros((n, d))
        flat = np.concatenate(rows) * d + np.concatenate(cols)
        return np.bincount(flat, weights=np.concatenate(vals), minlength=n * d).reshape(n, d)
