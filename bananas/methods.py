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


def _bananas(
    space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None, **options: Any
) -> BaseSampler:
    from bananas.samplers import BananasSampler

    fidelity, epochs = options.pop("fidelity", None), options.pop("supernet_epochs", None)
    if fidelity not in FIDELITIES:
        raise ValueError(f"unknown fidelity {fidelity!r}; choose one of {', '.join(map(str, FIDELITIES))}")
    if fidelity is not None:
        from bananas.fidelity import ParamsFidelity, SupernetFidelity, supernet_config

        where = f"--fidelity {fidelity}"
        cells, trainer = _nb201(space, where), _trainer(evaluator, where)
        if fidelity == "supernet":
            options.setdefault("pool_kwargs", FIDELITY_POOL)
            options["fidelity"] = SupernetFidelity(cells, trainer, supernet_config(epochs), seed or 0)
        else:
            options["fidelity"] = ParamsFidelity(cells, trainer, seed or 0)
    return BananasSampler(space=space, seed=seed, constraints_func=constraints, **options)


def _one_shot(method: str) -> Callable[..., BaseSampler]:
    def make(
        space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None, **options: Any
    ) -> BaseSampler:
        from bananas.oneshot import one_shot_config
        from bananas.samplers import OneShotSampler

        trainer = _trainer(evaluator, f"--method {method}")
        config = one_shot_config(options.get("supernet_epochs"))
        return OneShotSampler(
            method=method, space=_nb201(space, f"--method {method}"), trainer=trainer, seed=seed, config=config
        )

    return make


def _trainer(evaluator: Any, what: str) -> Any:
    """The training evaluator's trainer, or a ValueError saying that ``what`` needs one."""
    if getattr(evaluator, "trainer", None) is None:
        raise ValueError(f"{what} trains a supernet on the training data: use --evaluator train")
    return evaluator.trainer


def _nb201(space: Space, what: str) -> Any:
    from bananas.spaces.nb201 import NB201Space

    if not isinstance(space, NB201Space):
        raise ValueError(f"{what} needs the nb201 space (a supernet of edge-op cells), not {space.name!r}")
    return space


def _pool_random(
    space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None, **options: Any
) -> BaseSampler:
    """The BANANAS loop with its picks drawn at random from the pool: what the model adds."""
    return _bananas(space, seed, constraints, evaluator, **{**options, "acquisition": "random"})


def _random(space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None) -> BaseSampler:
    from bananas.samplers import RandomSearchSampler

    return RandomSearchSampler(space=space, seed=seed, constraints_func=constraints)


def _evolution(space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None) -> BaseSampler:
    from bananas.samplers import EvolutionSampler

    return EvolutionSampler(space=space, seed=seed, constraints_func=constraints)


def _local_search(
    space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None
) -> BaseSampler:
    from bananas.samplers import LocalSearchSampler

    return LocalSearchSampler(space=space, seed=seed, constraints_func=constraints)


def _reinforce(space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None) -> BaseSampler:
    from bananas.samplers import ReinforceSampler

    return ReinforceSampler(space=space, seed=seed, constraints_func=constraints)


def _hebo(space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None) -> BaseSampler:
    from bananas.samplers import HeboSampler

    return HeboSampler(space=space, seed=seed, constraints_func=constraints)


def _optuna(name: str) -> Callable[..., BaseSampler]:
    def make(space: Space, seed: int | None, constraints: Constraints | None, evaluator: Any = None) -> BaseSampler:
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
    "hebo": _hebo,
    "pool-random": _pool_random,
    "darts": _one_shot("darts"),
    "cdarts": _one_shot("cdarts"),
    "random-ws": _one_shot("random-ws"),
}
DEFAULT_METHOD = "bananas"
BANANAS_OPTIONS = ("bananas", "pool-random")  # the methods that take BananasSampler's options
ONE_SHOT = ("darts", "cdarts", "random-ws")  # the methods that train a supernet (bananas.oneshot)
FIDELITIES = (None, "supernet", "params")  # BANANAS's --fidelity (bananas.fidelity)
# while the supernet agrees with the evaluations it scores every candidate (a pass each), so its pool is smaller
FIDELITY_POOL = {"n_parents": 5, "n_mutations": 20, "n_random": 50}
TABLE_METHODS = tuple(m for m in METHODS if m not in ONE_SHOT)  # those that search a results table


def unavailable(method: str) -> str | None:
    """Why ``method`` cannot run here (an optional package missing, and how to install it), or None."""
    if method == "hebo":
        from bananas.samplers._hebo import hebo_missing

        return hebo_missing()
    return None


def method_options(method: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """Return the sampler options ``method`` takes of ``options`` (BANANAS options only for BANANAS methods,
    ``supernet_epochs`` only for them and the one-shot methods)."""
    options = dict(options or {})
    if method in BANANAS_OPTIONS:
        return options
    return (
        {"supernet_epochs": options["supernet_epochs"]} if method in ONE_SHOT and "supernet_epochs" in options else {}
    )


def make_sampler(
    method: str,
    space: Space,
    seed: int | None,
    constraints: Constraints | None = None,
    evaluator: Any = None,
    **options: Any,
) -> BaseSampler:
    """Return the sampler of ``method`` (one of ``METHODS``); ``options`` go to BANANAS's sampler, and so
    do ``constraints`` (every sampler reads the constraint values that trials record; BANANAS's also
    computes those on metrics the space knows). The one-shot methods and BANANAS's supernet fidelity
    train on the data of ``evaluator`` (a ``TrainingEvaluator``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method](space, seed, constraints, evaluator, **method_options(method, options))
