"""Encodings of architectures as feature arrays (importable as ``bananas.encodings``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bananas.encodings._adjacency import AdjacencyEncoder, ConcatEncoder
from bananas.encodings._base import Encoder
from bananas.encodings._counts import OpCountEncoder
from bananas.encodings._params import ParamEncoder
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
    "OpCountEncoder",
    "ParamEncoder",
    "PathEncoder",
    "encoder_for",
    "get_encoder",
]


def get_encoder(name: str) -> Encoder:
    """Return a new, unfitted encoder called ``name``; ValueError naming the choices otherwise."""
    if name not in ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; choose one of {', '.join(ENCODINGS)}")
    return ENCODINGS[name]()


def encoder_for(name: str, space: Any) -> Encoder:
    """Return encoder ``name`` fitted on ``space``, with the space's param features beside the cell's
    (hyperparameters); a space without a cell (``op_names`` empty) is encoded by its params alone."""
    if not space.op_names:
        return ParamEncoder().fit(space)
    encoder = get_encoder(name)
    return (ConcatEncoder(encoder, ParamEncoder()) if space.n_param_features else encoder).fit(space)
