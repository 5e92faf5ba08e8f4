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

    def predict_torch(self, X):  # noqa: ANN001, ANN201 - torch stays a lazy import
        """Return the ``... x s x n`` tensor of predictions for a ``... x n x d`` tensor ``X``."""
        import torch

        flat = X.reshape(-1, X.shape[-1]).detach().cpu().numpy()
        out = torch.as_tensor(self.predict(flat), dtype=X.dtype, device=X.device)
        return out.reshape(out.shape[0], *X.shape[:-1]).movedim(0, -2)
