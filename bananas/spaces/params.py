"""Spaces of named Optuna distributions: the hyperparameters beside a cell, or a whole study's params.

An architecture of a ``ParamSpace`` is the tuple of its params' values, in the
order of its distributions. Numbers move on a unit scale (log scale for ``log``
distributions, snapped to ``step`` and to integers), categories to another
choice. ``param_features`` is what encoders read: a number's unit value, a
category's one-hot. Every rule about reading a distribution lives here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from bananas.spaces._base import Space

if TYPE_CHECKING:
    import networkx as nx

STEP = 0.1  # a neighbour's move of a number, on the unit scale
SIGMA = 0.15  # a mutation's Gaussian move of a number, on the unit scale


def _bounds(dist: FloatDistribution | IntDistribution) -> tuple[float, float]:
    if dist.log:
        return math.log(dist.low), math.log(dist.high)
    return float(dist.low), float(dist.high)


def to_unit(dist: FloatDistribution | IntDistribution, value: float) -> float:
    """Return ``value`` on ``dist``'s unit scale (0 = low, 1 = high; log scale for log distributions)."""
    low, high = _bounds(dist)
    x = math.log(value) if dist.log else float(value)
    return 0.0 if high == low else (x - low) / (high - low)


def from_unit(dist: FloatDistribution | IntDistribution, u: float) -> int | float:
    """Return the value of ``dist`` at unit position ``u`` (clipped), snapped to its step and type."""
    low, high = _bounds(dist)
    x = low + min(max(u, 0.0), 1.0) * (high - low)
    value = math.exp(x) if dist.log else x
    if dist.step is not None:
        k = min(round((value - dist.low) / dist.step), math.floor((dist.high - dist.low) / dist.step + 1e-9))
        value = dist.low + k * dist.step
    value = min(max(value, dist.low), dist.high)
    return int(round(value)) if isinstance(dist, IntDistribution) else float(value)


def sample_value(dist: BaseDistribution, rng: np.random.Generator) -> Any:
    """Return a value of ``dist`` drawn uniformly (on its log scale where it has one)."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(rng.integers(len(dist.choices)))]
    return from_unit(dist, float(rng.random()))  # type: ignore[arg-type]


def moves(dist: BaseDistribution, value: Any) -> list[Any]:
    """Return the values one edit away from ``value``: every other choice, or a step down and up."""
    if isinstance(dist, CategoricalDistribution):
        return [c for c in dist.choices if c != value]
    u = to_unit(dist, value)  # type: ignore[arg-type]
    near = {from_unit(dist, u - STEP), from_unit(dist, u + STEP)}  # type: ignore[arg-type]
    return sorted(v for v in near if v != value)


def nudge(dist: BaseDistribution, value: Any, rng: np.random.Generator) -> Any:
    """Return ``value`` after one random edit: another choice, or a Gaussian move of a number."""
    if isinstance(dist, CategoricalDistribution):
        others = moves(dist, value)
        return others[int(rng.integers(len(others)))] if others else value
    return from_unit(dist, to_unit(dist, value) + SIGMA * float(rng.standard_normal()))  # type: ignore[arg-type]


def n_features(dist: BaseDistribution) -> int:
    """Columns of ``dist`` in ``features``: one per choice, or one for a number."""
    return len(dist.choices) if isinstance(dist, CategoricalDistribution) else 1


def features(dists: Mapping[str, BaseDistribution], params: Mapping[str, Any]) -> np.ndarray:
    """Return the feature row of ``params``: a one-hot per category, the unit value of each number."""
    row: list[float] = []
    for name, dist in dists.items():
        if isinstance(dist, CategoricalDistribution):
            row.extend(float(c == params[name]) for c in dist.choices)
        else:
            row.append(to_unit(dist, params[name]))  # type: ignore[arg-type]
    return np.asarray(row)


def contains(dist: BaseDistribution, value: Any) -> bool:
    """Whether ``value`` is a value of ``dist``."""
    try:
        return bool(dist._contains(dist.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


class ParamSpace(Space):
    """The space of a study's params (``BananasSampler()`` without a space): values of ``distributions``.

    Its architectures are tuples of param values; two are one exactly when every value is equal.
    """

    name = "params"
    op_names: tuple[str, ...] = ()  # no cell: encoders read ``param_features`` only

    def __init__(self, distributions: Mapping[str, BaseDistribution], dataset: str = "") -> None:
        self.dists = dict(distributions)
        self.dataset = dataset

    @property
    def hyperparameters(self) -> dict[str, BaseDistribution]:
        return self.dists

    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self.dists)

    def to_params(self, arch: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.dists, arch, strict=True))

    def from_params(self, params: dict[str, Any]) -> tuple[Any, ...]:
        missing = [name for name in self.dists if name not in params]
        if missing:
            raise ValueError(f"params lack {', '.join(map(repr, missing))}")
        return tuple(params[name] for name in self.dists)

    def to_string(self, arch: tuple[Any, ...]) -> str:
        return json.dumps(self.to_params(arch))

    def from_string(self, text: str) -> tuple[Any, ...]:
        try:
            params = json.loads(text)
        except ValueError:
            raise ValueError(f'malformed params id {text!r}; expected a JSON object, e.g. {{"lr": 0.01}}') from None
        return self.from_params(params)

    def is_valid(self, arch: tuple[Any, ...]) -> bool:
        return all(contains(d, v) for d, v in zip(self.dists.values(), arch, strict=True))

    def key(self, arch: tuple[Any, ...]) -> Hashable:
        return tuple(arch)

    def graph(self, arch: tuple[Any, ...]) -> nx.DiGraph:
        raise TypeError("a space of params has no cell graph; encode it with its param features")

    @property
    def n_nodes(self) -> int:
        return 0

    def param_features(self, arch: tuple[Any, ...]) -> np.ndarray:
        return features(self.dists, self.to_params(arch))

    @property
    def n_param_features(self) -> int:
        return sum(n_features(d) for d in self.dists.values())

    def _random(self, rng: np.random.Generator) -> tuple[Any, ...]:
        return tuple(sample_value(d, rng) for d in self.dists.values())

    def neighbors(self, arch: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        out = []
        for i, dist in enumerate(self.dists.values()):
            out += [arch[:i] + (v,) + arch[i + 1 :] for v in moves(dist, arch[i])]
        return out

    def mutate(self, arch: tuple[Any, ...], rng: np.random.Generator, edits: int = 1) -> tuple[Any, ...]:
        dists = list(self.dists.values())
        for _ in range(edits):
            i = int(rng.integers(len(dists)))
            arch = arch[:i] + (nudge(dists[i], arch[i], rng),) + arch[i + 1 :]
        return arch
