"""The search methods by name: BANANAS and the baselines it is measured against.

Samplers are imported when one is made, so that naming the methods (``bananas --help``) stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

    from bananas.objectives import Constraints
    from bananas.spaces import Space


def _bananas(space: Space, seed: int | None, constraints: Constraints | None, **options: Any) -> BaseSampler:
    from bananas.samplers import BananasSampler

    return BananasSampler(space=space, seed=seed, constraints_func=constraints, **options)


def _pool_random(space: Space, seed: int | None, constraints: Constraints | None, **options: Any) -> BaseSampler:
    """The BANANAS loop with its picks drawn at random from the pool: what the model adds."""
    return _bananas(space, seed, constraints, **{**options, "acquisition": "random"})


def _random(space: Space, seed: int | None, constraints: Constraints | None) -> BaseSampler:
    from bananas.samplers import RandomSearchSampler

    return RandomSearchSampler(space=space, seed=seed, constraints_func=constraints)


def _evolution(space: Space, seed: int | None, constraints: Constraints | None) -> BaseSampler:
    from bananas.samplers import EvolutionSampler

    return EvolutionSampler(space=space, seed=seed, constraints_func=constraints)


def _local_search(space: Space, seed: int | None, constraints: Constraints | None) -> BaseSampler:
    from bananas.samplers import LocalSearchSampler

    return LocalSearchSampler(space=space, seed=seed, constraints_func=constraints)


def _reinforce(space: Space, seed: int | None, constraints: Constraints | None) -> BaseSampler:
    from bananas.samplers import ReinforceSampler

    return ReinforceSampler(space=space, seed=seed, constraints_func=constraints)


def _optuna(name: str) -> Callable[..., BaseSampler]:
    def make(space: Space, seed: int | None, constraints: Constraints | None) -> BaseSampler:
        import optuna

        from bananas.samplers import ValidProposals

        # Optuna's samplers read the constraints each trial records (``bananas.search.record``)
        return ValidProposals(getattr(optuna.samplers, name)(seed=seed), space, seed)

    return make


METHODS: dict[str, Callable[..., BaseSampler]] = {
    "bananas": _bananas,
    "random": _random,
    "re": _evolution,
    "ls": _local_search,
    "reinforce": _reinforce,
    "tpe": _optuna("TPESampler"),
    "gp": _optuna("GPSampler"),
    "nsga2": _optuna("NSGAIISampler"),
    "pool-random": _pool_random,
}
DEFAULT_METHOD = "bananas"
BANANAS_OPTIONS = ("bananas", "pool-random")  # the methods that take BananasSampler's options


def method_options(method: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """Return the sampler options ``method`` takes of ``options`` (BANANAS options only for BANANAS methods)."""
    return dict(options or {}) if method in BANANAS_OPTIONS else {}


def make_sampler(
    method: str, space: Space, seed: int | None, constraints: Constraints | None = None, **options: Any
) -> BaseSampler:
    """Return the sampler of ``method`` (one of ``METHODS``); ``options`` go to BANANAS's sampler, and so
    do ``constraints`` (every sampler reads the constraint values that trials record; BANANAS's also
    computes those on metrics the space knows)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method](space, seed, constraints, **method_options(method, options))
