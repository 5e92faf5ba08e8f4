"""HEBO (Cowen-Rivers et al. 2022, winner of the NeurIPS 2020 black-box optimization challenge) as a peer
that shares the Space and the recording. HEBO is an optional install: ``make hebo``."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.history import History, Proposal
from bananas.pool import random_unseen
from bananas.samplers._base import SpaceSampler
from bananas.spaces import Arch, Space

# HEBO 0.3.6 pins numpy<1.25 and pulls GPy and catboost, none of which its default optimizer uses, so it is
# installed without its dependencies, next to the ones it imports
INSTALL = "make hebo, or: pip install 'bananas[hebo]' && pip install --no-deps HEBO==0.3.6"


def hebo_missing() -> str | None:
    """Why HEBO cannot run here (with the command that installs it), or None when it can."""
    try:
        import hebo.optimizers.hebo  # noqa: F401
    except ImportError as err:
        return f"HEBO is not installed ({err}); install it with: {INSTALL}"
    return None


class HeboSampler(SpaceSampler):
    """HEBO's optimizer over the space's params, ``batch_size`` suggestions per fit (10, as its authors run it
    in the black-box challenge).

    Each fit is a new ``hebo.optimizers.hebo.HEBO`` (GP surrogate, MACE acquisition, NSGA-II over it) that
    observes every completed trial (the value negated: HEBO minimizes) and suggests a batch; proposals are
    the batch in order, less any invalid, tried or pending architecture (HEBO does not know that two param
    sets can be one network, so its repeats are dropped rather than spent as queries). Once the batch is
    used up, the next proposal fits again; a fit with nothing new gives a random untried architecture.
    HEBO's own random design (Sobol, one more point than there are params) starts the search. Each fit is
    seeded from ``seed``; torch's and numpy's global generators are left as they were.
    """

    def __init__(
        self,
        *,
        space: Space | None = None,
        seed: int | None = None,
        batch_size: int = 10,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        missing = hebo_missing()
        if missing:
            raise ValueError(missing)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        super().__init__(space=space, seed=seed, constraints_func=constraints_func)
        self._batch_size = batch_size
        self._batch: list[Arch] = []

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        history = self._history(study, trial, space)
        attrs: dict[str, Any] = {}
        if not self._fresh(space, history):
            start = time.perf_counter()
            self._batch = self._suggest(space, history)
            attrs["bo_seconds"] = time.perf_counter() - start
        if self._fresh(space, history):
            return Proposal(self._batch.pop(0), attrs)
        return Proposal(random_unseen(space, history.seen, self._rng), attrs)

    def _fresh(self, space: Space, history: History) -> bool:
        """Drop the batch's leading architectures that were tried or are pending; whether one is left."""
        while self._batch and space.key(self._batch[0]) in history.seen:
            self._batch.pop(0)
        return bool(self._batch)

    def _suggest(self, space: Space, history: History) -> list[Arch]:
        from hebo.design_space.design_space import DesignSpace
        from hebo.optimizers.hebo import HEBO

        dists = space.distributions()
        seed = int(self._rng.integers(2**31))
        # HEBO prints its GP's jitter retries ("jitter = 0.01"): not for the user's terminal
        with _seeded(seed), contextlib.redirect_stdout(io.StringIO()):
            optimizer = HEBO(DesignSpace().parse([_hebo_param(n, d) for n, d in dists.items()]), scramble_seed=seed)
            if history.archs:
                import pandas as pd

                x = pd.DataFrame([space.to_params(a) for a in history.archs], columns=list(dists))
                optimizer.observe(x, -np.asarray(history.values, dtype=float).reshape(-1, 1))
            suggested = optimizer.suggest(n_suggestions=self._batch_size)
        archs = [space.from_params(_from_hebo(row, dists)) for row in suggested.to_dict("records")]
        return [a for a in archs if space.is_valid(a)]


def _hebo_param(name: str, dist: BaseDistribution) -> dict[str, Any]:
    """HEBO's description of one Optuna distribution."""
    if isinstance(dist, CategoricalDistribution):
        return {"name": name, "type": "cat", "categories": list(dist.choices)}
    if isinstance(dist, IntDistribution):
        if dist.log:
            return {"name": name, "type": "pow_int", "lb": dist.low, "ub": dist.high}
        if dist.step != 1:
            return {"name": name, "type": "step_int", "lb": dist.low, "ub": dist.high, "step": dist.step}
        return {"name": name, "type": "int", "lb": dist.low, "ub": dist.high}
    if isinstance(dist, FloatDistribution):
        return {"name": name, "type": "pow" if dist.log else "num", "lb": dist.low, "ub": dist.high}
    raise ValueError(f"HEBO cannot search param {name!r} of distribution {dist!r}")


def _from_hebo(row: dict[str, Any], dists: dict[str, BaseDistribution]) -> dict[str, Any]:
    """The Optuna params of one HEBO suggestion (numpy scalars to Python values, floats on their step)."""
    params = {}
    for name, dist in dists.items():
        value = dist.to_external_repr(dist.to_internal_repr(row[name]))
        if isinstance(dist, FloatDistribution) and dist.step is not None:
            value = min(dist.high, dist.low + round((value - dist.low) / dist.step) * dist.step)
        params[name] = value
    return params


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed HEBO's randomness: torch's and numpy's global generators, restored afterwards, and pymoo's
    (since 0.6.1 pymoo draws from a generator of its own, unseeded unless ``minimize`` gets a seed, and
    HEBO's acquisition optimizer passes none)."""
    import functools
    from unittest import mock

    import hebo.acq_optimizers.evolution_optimizer as evolution
    import pymoo.optimize
    import torch

    state = np.random.get_state()
    seeded_minimize = functools.partial(pymoo.optimize.minimize, seed=seed)
    with torch.random.fork_rng(), mock.patch.object(evolution, "minimize", seeded_minimize):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)
