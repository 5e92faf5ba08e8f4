"""The Predictor seam: ``fit(X, y)`` then ``predict(X)`` with one row per ensemble member.

Letters: ``n`` points, ``d`` features, ``s`` ensemble members (or posterior
samples for a GP).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Predictor(ABC):
    """A model of accuracy from features whose predictions come as an ensemble."""

    @abstractmethod
    def fit(self, X: np.ndarray, y: np.ndarray) -> Predictor:
        """Fit on an ``n x d`` array ``X`` and ``n`` targets ``y``; return ``self``."""

    @abstractmethod
    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return an ``s x n`` array: each member's prediction for each row of ``X``."""
