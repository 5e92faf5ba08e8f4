"""Encodings of architectures as feature arrays (importable as ``bananas.encodings``)."""

from __future__ import annotations

from collections.abc import Callable

from bananas.encodings._adjacency import AdjacencyEncoder, ConcatEncoder
from bananas.encodings._base import Encoder
from bananas.encodings._path import PathEncoder

ENCODINGS: dict[str, Callable[[], Encoder]] = {
    "path": PathEncoder,
    "trunc_path": lambda: PathEncoder(max_len=2),
    "path_count": lambda: PathEncoder(counts=True, prefixes=True),
    "adjacency": AdjacencyEncoder,
    "path_adjacency": lambda: ConcatEncoder(PathEncoder(counts=True, prefixes=True), AdjacencyEncoder()),
}
DEFAULT_ENCODING = "adjacency"

__all__ = [
    "DEFAULT_ENCODING",
    "ENCODINGS",
    "AdjacencyEncoder",
    "ConcatEncoder",
    "Encoder",
    "PathEncoder",
    "get_encoder",
]


def get_encoder(name: str) -> Encoder:
    """Return a new, unfitted encoder called ``name``; ValueError naming the choices otherwise."""
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; choose one of {', '.join(ENCODINGS)}")
    return ENCODINGS[name]()
