"""The Space seam: everything the search knows about a family of architectures.

A space turns architectures into flat Optuna params and back, samples and
mutates them, and gives each a canonical key so that two descriptions of the
same network count as one architecture.
"""

from __future__ import annotations

import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    import optuna

Arch = Any  # an architecture as the space represents it (hashable, immutable)


class Space(ABC):
    """A search space of cell architectures.

    Subclasses define ``name``, ``op_names`` (the operation vocabulary the
    encoders read) and the abstract methods below.
    """

    name: str
    dataset: str
    op_names: tuple[str, ...]

    @abstractmethod
    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Return the flat Optuna distributions, one per param, in a fixed order."""

    @abstractmethod
    def to_params(self, arch: Arch) -> dict[str, Any]:
        """Return the flat Optuna params of ``arch``."""

    @abstractmethod
    def from_params(self, params: dict[str, Any]) -> Arch:
        """Return the architecture described by ``params`` (inverse of ``to_params``)."""

    @abstractmethod
    def to_string(self, arch: Arch) -> str:
        """Return a readable id of ``arch`` that ``from_string`` reads back."""

    @abstractmethod
    def from_string(self, text: str) -> Arch:
        """Return the architecture written by ``to_string``; ValueError if malformed."""

    @abstractmethod
    def is_valid(self, arch: Arch) -> bool:
        """Return whether ``arch`` is a network of this space."""

    @abstractmethod
    def key(self, arch: Arch) -> Hashable:
        """Return the canonical key: equal exactly when two archs are one network."""

    @abstractmethod
    def graph(self, arch: Arch) -> nx.DiGraph:
        """Return the canonical cell as a DAG with op-labelled nodes.

        Nodes ``"input"`` and ``"output"`` carry ``op="input"``/``op="output"``;
        every other node is an integer position in ``0..n_nodes-1`` with an
        ``op`` from ``op_names`` (positions that compute nothing may be absent).
        Paths from input to output are the op sequences that path encodings count.
        """

    @abstractmethod
    def neighbors(self, arch: Arch) -> list[Arch]:
        """Return every valid architecture one edit (a link or an op) away."""

    @property
    @abstractmethod
    def n_nodes(self) -> int:
        """Number of op nodes in a cell (positions in ``graph``)."""

    @property
    def hyperparameters(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Named params beside the cell (learning rate, width, ...); none by default."""
        return {}

    @property
    def n_param_features(self) -> int:
        """Number of columns of ``param_features`` (0: a cell only)."""
        return 0

    def settings(self, arch: Arch) -> dict[str, Any]:
        """Return ``arch``'s hyperparameter values by name (none by default)."""
        return {}

    def param_features(self, arch: Arch) -> np.ndarray:
        """Return the feature row of ``arch``'s hyperparameters (see ``bananas.spaces.params.features``)."""
        return np.zeros(0)

    @property
    def max_path_length(self) -> int:
        """Most op nodes on one input-to-output path of ``graph`` (path encodings stop there)."""
        return self.n_nodes

    @abstractmethod
    def _random(self, rng: np.random.Generator) -> Arch:
        """Return a uniformly drawn architecture, possibly invalid."""

    def sample(self, rng: np.random.Generator) -> Arch:
        """Return a valid architecture drawn at random."""
        while True:
            arch = self._random(rng)
            if self.is_valid(arch):
                return arch

    def mutate(self, arch: Arch, rng: np.random.Generator, edits: int = 1) -> Arch:
        """Return ``arch`` after ``edits`` random one-edit moves, each to a valid neighbour."""
        for _ in range(edits):
            options = self.neighbors(arch)
            if not options:  # no valid neighbour (e.g. a sparse table): stay
                break
            arch = options[rng.integers(len(options))]
        return arch

    def suggest(self, trial: optuna.Trial) -> Arch:
        """Return the architecture of an Optuna trial, suggesting every param."""
        import optuna

        params: dict[str, Any] = {}
        for name, dist in self.distributions().items():
            if isinstance(dist, optuna.distributions.IntDistribution):
                params[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
            elif isinstance(dist, optuna.distributions.FloatDistribution):
                params[name] = trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
            elif isinstance(dist, optuna.distributions.CategoricalDistribution):
                params[name] = trial.suggest_categorical(name, dist.choices)
            else:
                raise TypeError(f"{type(self).__name__}: no suggest for {type(dist).__name__} {name!r}")
        return self.from_params(params)

    def unique(self, archs: Iterable[Arch], exclude: Iterable[Hashable] = ()) -> list[Arch]:
        """Return ``archs`` without repeats (by canonical key) and without keys in ``exclude``."""
        seen = set(exclude)
        out = []
        for arch in archs:
            k = self.key(arch)
            if k not in seen:
                seen.add(k)
                out.append(arch)
        return out

    known_metric_names: tuple[str, ...] = ()  # metrics that follow from an architecture without evaluating it

    def known_metrics(self, arch: Arch) -> dict[str, float]:
        """Return the ``known_metric_names`` of ``arch`` (e.g. its parameter count): objectives and
        constraints on them are computed, not predicted."""
        return {}

    def describe(self) -> dict[str, Any]:
        """Return what identifies this space in a study's attrs."""
        return {"space": self.name, "dataset": self.dataset}


class TabularSpace(Space):
    """A space whose every valid architecture has a row in a results table."""

    @abstractmethod
    def lookup(self, arch: Arch) -> dict[str, float]:
        """Return the table's metrics of ``arch`` (``valid_acc``, ``test_acc``, ...)."""

    @abstractmethod
    def all_keys(self) -> Sequence[Hashable]:
        """Return the canonical key of every architecture in the table."""

    @abstractmethod
    def all_metrics(self) -> list[dict[str, float]]:
        """Return the metrics of every architecture in the table (as ``lookup`` gives them)."""

    @abstractmethod
    def best(self) -> dict[str, float]:
        """Return the table's best validation and best test accuracy (percent)."""

    @property
    def table_id(self) -> tuple[type, str]:
        """Which table this is: spaces of one ``table_id`` hold the same architectures and rows."""
        return type(self), json.dumps(self.describe(), sort_keys=True)

    def all_archs(self) -> dict[Hashable, Arch]:
        """Return every architecture of the table by its canonical key (listed once per process)."""
        listed = self.table_id
        if listed not in _ALL_ARCHS:
            by_key: dict[Hashable, Arch] = {}
            for arch in map(self.from_params, _grid(self.distributions())):
                if self.is_valid(arch):
                    by_key.setdefault(self.key(arch), arch)
            _ALL_ARCHS[listed] = by_key
        return _ALL_ARCHS[listed]


_ALL_ARCHS: dict[tuple[type, str], dict[Hashable, Arch]] = {}  # by table_id


def _grid(dists: dict[str, optuna.distributions.BaseDistribution]) -> Iterable[dict[str, Any]]:
    """Every combination of the values of categorical and integer params."""
    values = [values_of(d) or [] for d in dists.values()]
    return (dict(zip(dists, combo, strict=True)) for combo in itertools.product(*values))


def values_of(dist: optuna.distributions.BaseDistribution) -> list[Any] | None:
    """The values of a categorical or (not log-scaled) integer param; None for any other."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    if isinstance(dist, IntDistribution) and not dist.log:
        return list(range(dist.low, dist.high + 1, dist.step))
    return None
