"""Search spaces: what an architecture is, how it mutates, and its canonical key."""

from __future__ import annotations

from bananas.spaces._base import Space, TabularSpace
from bananas.spaces.nbgraph import Cell, NBGraphSpace

SPACES = {"nbgraph": NBGraphSpace}

__all__ = ["SPACES", "Cell", "NBGraphSpace", "Space", "TabularSpace", "get_space"]


def get_space(name: str, dataset: str) -> Space:
    """Return the space ``name`` on ``dataset``; ValueError naming the choices otherwise."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose one of {', '.join(SPACES)}")
    return SPACES[name](dataset)
