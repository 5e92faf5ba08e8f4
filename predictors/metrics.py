"""Rank correlation of predictions with the truth."""

from __future__ import annotations

import numpy as np


def rank_correlations(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Return Kendall's tau and Spearman's rho between ``y_true`` and ``y_pred``."""
    from scipy import stats

    return {
        "kendall_tau": float(stats.kendalltau(y_true, y_pred).statistic),
        "spearman_rho": float(stats.spearmanr(y_true, y_pred).statistic),
    }
