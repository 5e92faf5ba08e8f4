"""Search spaces: what an architecture is, how it mutates, and its canonical key."""

from __future__ import annotations

from bananas.spaces._base import Space, TabularSpace
from bananas.spaces.nbgraph import Cell, NBGraphSpace

SPACES = {"nbgraph": NBGraphSpace}

__all__ = ["SPACES", "Cell", "NBGraphSpace", "Space", "TabularSpace", "get_space", "get_tabular_space"]


def get_space(name: str, dataset: str) -> Space:
    """Return the space ``name`` on ``dataset``; ValueError naming the choices otherwise."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose one of {', '.join(SPACES)}")
    return SPACES[name](dataset)


def get_tabular_space(name: str, dataset: str) -> TabularSpace:
    """Return the space ``name`` on ``dataset`` if it has a results table; ValueError otherwise."""
    space = get_space(name, dataset)
    if not isinstance(space, TabularSpace):
        raise ValueError(f"space {name!r} has no results table on {dataset!r}; table lookups need a tabular space")
    return space
