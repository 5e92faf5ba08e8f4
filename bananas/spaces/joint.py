"""A cell and hyperparameters searched together: what users run.

``JointSpace(cell, {"lr": FloatDistribution(1e-3, 0.3, log=True), "channels": IntDistribution(8, 32, step=8)})``
is a space whose architectures are ``(cell architecture, hyperparameter values)``. Params are the
cell's plus one ordinary trial param per hyperparameter; encodings see the cell's features with the
hyperparameters' (one-hot, unit-scaled) beside them; a one-edit move changes the cell or one
hyperparameter. Hyperparameters named like ``bananas.training.TrainConfig`` fields (``lr``,
``channels``, ``n_cells``, ``batch_size``, ``weight_decay``, ``epochs``, ``optimizer``) set that
field for each evaluation of the training evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from optuna.distributions import BaseDistribution

from bananas.spaces._base import Arch, Space
from bananas.spaces.params import ParamSpace

if TYPE_CHECKING:
    import networkx as nx

Joint = tuple[Arch, tuple[Any, ...]]  # (cell architecture, hyperparameter values)


class JointSpace(Space):
    """``cell`` (any bananas Space) with named ``hyperparameters`` (Optuna distributions) beside it."""

    def __init__(self, cell: Space, hyperparameters: Mapping[str, BaseDistribution]) -> None:
        clash = sorted(set(hyperparameters) & set(cell.distributions()))
        if clash:
            raise ValueError(f"hyperparameters {clash} share a name with the cell's params; rename them")
        if not hyperparameters:
            raise ValueError("give at least one hyperparameter, or search the cell space itself")
        self.cell = cell
        self.params = ParamSpace(hyperparameters)
        self.name, self.dataset, self.op_names = cell.name, cell.dataset, cell.op_names

    @property
    def hyperparameters(self) -> dict[str, BaseDistribution]:
        return self.params.distributions()

    def distributions(self) -> dict[str, BaseDistribution]:
        return {**self.cell.distributions(), **self.params.distributions()}

    def to_params(self, arch: Joint) -> dict[str, Any]:
        return {**self.cell.to_params(arch[0]), **self.params.to_params(arch[1])}

    def from_params(self, params: dict[str, Any]) -> Joint:
        return self.cell.from_params(params), self.params.from_params(params)

    def to_string(self, arch: Joint) -> str:
        return f"{self.cell.to_string(arch[0])} {json.dumps(self.params.to_params(arch[1]))}"

    def from_string(self, text: str) -> Joint:
        cell, brace, hyper = text.partition(" {")
        if not brace:
            raise ValueError(f"malformed id {text!r}; expected the cell's id, a space, and the hyperparameters as JSON")
        return self.cell.from_string(cell), self.params.from_string(brace.strip() + hyper)

    def is_valid(self, arch: Joint) -> bool:
        return self.cell.is_valid(arch[0]) and self.params.is_valid(arch[1])

    def key(self, arch: Joint) -> Hashable:
        return self.cell.key(arch[0]), self.params.key(arch[1])

    def graph(self, arch: Joint) -> nx.DiGraph:
        return self.cell.graph(arch[0])

    @property
    def n_nodes(self) -> int:
        return self.cell.n_nodes

    @property
    def max_path_length(self) -> int:
        return self.cell.max_path_length

    @property
    def n_param_features(self) -> int:
        return self.params.n_param_features

    def param_features(self, arch: Joint) -> np.ndarray:
        return self.params.param_features(arch[1])

    def _random(self, rng: np.random.Generator) -> Joint:
        return self.cell.sample(rng), self.params.sample(rng)

    def neighbors(self, arch: Joint) -> list[Joint]:
        cells = [(c, arch[1]) for c in self.cell.neighbors(arch[0])]
        return cells + [(arch[0], h) for h in self.params.neighbors(arch[1])]

    def mutate(self, arch: Joint, rng: np.random.Generator, edits: int = 1) -> Joint:
        for _ in range(edits):
            if rng.random() < 0.5:
                arch = (self.cell.mutate(arch[0], rng), arch[1])
            else:
                arch = (arch[0], self.params.mutate(arch[1], rng))
        return arch

    def network(self, arch: Joint, **kwargs: Any) -> Any:
        """The cell's network, with hyperparameters named ``channels`` or ``n_cells`` applied."""
        structure = {k: v for k, v in self.settings(arch).items() if k in ("channels", "n_cells")}
        return self.cell.network(arch[0], **{**kwargs, **structure})  # type: ignore[attr-defined]

    def settings(self, arch: Joint) -> dict[str, Any]:
        """The hyperparameter values of ``arch`` by name (the training evaluator reads its fields here)."""
        return self.params.to_params(arch[1])

    def describe(self) -> dict[str, Any]:
        return {**self.cell.describe(), "space": self.name, "hyperparameters": list(self.params.dists)}
