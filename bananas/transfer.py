"""Transfer from another dataset of the same space (EAT-NAS: search a small task, carry it to a large one).

A finished search on another dataset is a *prior*: a predictor fit on its
evaluations scores any architecture by how well it would do there
(``PriorScore``). The BANANAS step uses that score only as far as this task's
own observations agree with it (``prior_weight``: Kendall's tau between the
scores and the observed values, less what chance alone gives):

- in the random start, while the weight is positive, the next architecture is
  the prior's favourite of ``PRIOR_CANDIDATES`` random untried ones;
- at every fit, the score times the weight is one more input of the predictor,
  beside the encoding.

Where the tasks disagree the weight is 0: the start stays random, the column
is constant (the ensemble drops it), and the search is the cold one, query for
query. Measured in docs/benchmarks.md ("Transfer").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from bananas.encodings import Encoder
from bananas.predictors import DEFAULT_PREDICTOR, get_predictor
from bananas.spaces import Arch, Space

PRIOR_CANDIDATES = 200  # a start pick by the prior: its favourite of this many random untried architectures


class PriorScore:
    """Another task's predicted value of architectures, in standard units of that task's values.

    Args:
        space: the space both tasks share (a score is cached per canonical key).
        encoder: fitted on ``space``.
        archs, values: the other task's evaluated architectures and their values (higher is better).
        seed, predictor: the predictor fit on them (a name from ``bananas.predictors.PREDICTORS``).
    """

    def __init__(
        self,
        space: Space,
        encoder: Encoder,
        archs: Sequence[Arch],
        values: Sequence[float],
        *,
        seed: int = 0,
        predictor: str = DEFAULT_PREDICTOR,
    ) -> None:
        if len(archs) < 2:
            raise ValueError(f"a transfer prior needs at least 2 evaluations, got {len(archs)}")
        self.space = space
        self.encoder = encoder
        y = np.asarray(values, dtype=np.float64)
        self._model = get_predictor(predictor, seed=seed).fit(encoder.transform(list(archs)), y)
        self._center, self._scale = float(y.mean()), float(y.std()) or 1.0
        self._cache: dict[Hashable, float] = {}

    def __call__(self, archs: Sequence[Arch]) -> np.ndarray:
        """Return the ``n`` scores of ``archs``: the prior's mean prediction, standardized."""
        keys = [self.space.key(a) for a in archs]
        new = {k: a for k, a in zip(keys, archs, strict=True) if k not in self._cache}
        if new:
            mean = self._model.predict(self.encoder.transform(list(new.values()))).mean(axis=0)
            self._cache.update(zip(new, (mean - self._center) / self._scale, strict=True))
        return np.array([self._cache[k] for k in keys], dtype=np.float64)


def chance_tau(n: int) -> float:
    """Return the standard deviation of Kendall's tau between two independent rankings of ``n`` items."""
    return math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))


def prior_weight(scores: np.ndarray, values: Sequence[float] | np.ndarray) -> float:
    """Return how far the observations agree with the prior beyond chance: Kendall's tau between the
    prior's ``scores`` and the observed ``values`` less ``chance_tau(n)``; 0 where that is not positive
    or there are fewer than 3 observations."""
    from scipy.stats import kendalltau

    n = len(scores)
    if n < 3:
        return 0.0
    tau = kendalltau(scores, np.asarray(values, dtype=np.float64)).statistic
    return max(0.0, float(tau) - chance_tau(n)) if np.isfinite(tau) else 0.0


def with_score(X: np.ndarray, scores: np.ndarray, weight: float) -> np.ndarray:
    """Return ``X`` (``n x d``) with ``weight * scores`` as one more column (``n x (d + 1)``)."""
    return np.hstack([X, weight * np.asarray(scores, dtype=np.float64).reshape(-1, 1)])
