"""Adjacency encoding: the canonical cell's upper-triangular adjacency plus op one-hots."""

from __future__ import annotations

from typing import Any

import numpy as np

from bananas.encodings._base import Encoder


class AdjacencyEncoder(Encoder):
    """Nodes ordered input, ``0..n_nodes-1``, output; one column per ordered pair
    ``i < j`` (1 if the edge exists) followed by ``n_nodes x len(op_names)`` op one-hots
    (all zero for a position the cell does not use)."""

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._ops: dict[str, int] = {}
        self._pos: dict[Any, int] = {}
        self._pairs: dict[tuple[int, int], int] = {}

    @property
    def n_features(self) -> int:
        return len(self._pairs) + self._n * len(self._ops)

    def _fit(self, space: Any) -> None:
        self._n = space.n_nodes
        self._ops = {op: i for i, op in enumerate(space.op_names)}
        total = self._n + 2
        self._pos = {"input": 0, "output": total - 1, **{i: i + 1 for i in range(self._n)}}
        self._pairs = {(i, j): k for k, (i, j) in enumerate((i, j) for i in range(total) for j in range(i + 1, total))}

    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        g = self._space.graph(arch)
        cols = [self._pairs[(self._pos[u], self._pos[v])] for u, v in g.edges]
        base = len(self._pairs)
        cols += [base + i * len(self._ops) + self._ops[g.nodes[i]["op"]] for i in range(self._n) if i in g]
        c = np.asarray(sorted(cols), dtype=np.int64)
        return c, np.ones(len(c))


class ConcatEncoder(Encoder):
    """Columns of several encoders side by side (e.g. path + adjacency)."""

    def __init__(self, *parts: Encoder) -> None:
        super().__init__()
        self.parts = parts

    @property
    def n_features(self) -> int:
        return sum(p.n_features for p in self.parts)

    def _fit(self, space: Any) -> None:
        for p in self.parts:
            p.fit(space)

    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        cols, vals, offset = [], [], 0
        for p in self.parts:
            c, v = p._features(arch)
            cols.append(c + offset)
            vals.append(v)
            offset += p.n_features
        return np.concatenate(cols), np.concatenate(vals)
