"""Param features: the hyperparameters beside a cell, or every param of a space without a cell."""

from __future__ import annotations

from typing import Any

import numpy as np

from bananas.encodings._base import Encoder


class ParamEncoder(Encoder):
    """The space's ``param_features``: a one-hot per categorical param, the unit-scaled value of a number."""

    def __init__(self) -> None:
        super().__init__()
        self._n = 0

    @property
    def n_features(self) -> int:
        return self._n

    def _fit(self, space: Any) -> None:
        self._n = space.n_param_features

    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        row = self._space.param_features(arch)
        cols = np.flatnonzero(row)
        return cols.astype(np.int64), row[cols]
