"""Search spaces: what an architecture is, how it mutates, and its canonical key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bananas.spaces._base import Arch, Space, TabularSpace
from bananas.spaces.nb201 import NB201Space, NB201TableSpace, nb201_space
from bananas.spaces.nbgraph import GraphCell, NBGraphSpace


def _nbgraph(dataset: str, table: str | Path | None = None) -> Space:
    if table is not None:
        raise ValueError("--table works with --space nb201 only; NAS-Bench-Graph ships its own tables")
    return NBGraphSpace(dataset)


SPACES: dict[str, Callable[..., Space]] = {"nbgraph": _nbgraph, "nb201": nb201_space}
DEFAULT_SPACE = "nbgraph"
DEFAULT_DATASETS = {"nbgraph": "cora", "nb201": "cifar10"}

__all__ = [
    "DEFAULT_DATASETS",
    "DEFAULT_SPACE",
    "SPACES",
    "Arch",
    "GraphCell",
    "NB201Space",
    "NB201TableSpace",
    "NBGraphSpace",
    "Space",
    "TabularSpace",
    "get_space",
    "get_tabular_space",
]


def get_space(name: str, dataset: str, table: str | Path | None = None) -> Space:
    """Return the space ``name`` on ``dataset`` (``table``: a results CSV for nb201); ValueError naming
    the choices otherwise."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose one of {', '.join(SPACES)}")
    return SPACES[name](dataset, table)


def get_tabular_space(name: str, dataset: str, table: str | Path | None = None) -> TabularSpace:
    """Return the space ``name`` on ``dataset`` if it has a results table; ValueError otherwise."""
    space = get_space(name, dataset, table)
    if not isinstance(space, TabularSpace):
        hint = "; give one with --table PATH.csv" if name == "nb201" else "; table lookups need a tabular space"
        raise ValueError(f"space {name!r} has no results table on {dataset!r}{hint}")
    return space
