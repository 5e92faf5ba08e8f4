"""Path encodings (BANANAS): one feature per input-to-output sequence of ops."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np

from bananas.encodings._base import Encoder


class PathEncoder(Encoder):
    """One column per op sequence of length ``1..max_len``, shortest first.

    Args:
        counts: count how often each path occurs instead of a 0/1 indicator.
        prefixes: also count the path from the input to every op node, not
            only the paths that reach the output (a node's "receptive path").
        max_len: keep only sequences up to this length (truncated path
            encoding); ``None`` keeps all, up to the cell's number of nodes.
    """

    def __init__(self, *, counts: bool = False, prefixes: bool = False, max_len: int | None = None):
        super().__init__()
        self.counts = counts
        self.prefixes = prefixes
        self.max_len = max_len
        self._index: dict[tuple[str, ...], int] = {}

    @property
    def n_features(self) -> int:
        return len(self._index) * (2 if self.prefixes else 1)

    def _fit(self, space: Any) -> None:
        max_len = self.max_len or space.max_path_length
        seqs = (seq for length in range(1, max_len + 1) for seq in itertools.product(space.op_names, repeat=length))
        self._index = {seq: i for i, seq in enumerate(seqs)}

    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        g = self._space.graph(arch)
        ops = nx.get_node_attributes(g, "op")
        cols = [
            self._index.get(tuple(ops[n] for n in path[1:-1]), -1) for path in nx.all_simple_paths(g, "input", "output")
        ]
        if self.prefixes:
            offset = len(self._index)
            for node in g.nodes:
                if node not in ("input", "output"):
                    for path in nx.all_simple_paths(g, "input", node):
                        cols.append(offset + self._index.get(tuple(ops[n] for n in path[1:]), -offset - 1))
        c = np.asarray([x for x in cols if x >= 0], dtype=np.int64)
        if not self.counts:
            c = np.unique(c)
        return c, np.ones(len(c))
