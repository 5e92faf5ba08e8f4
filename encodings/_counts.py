"""Op counts: how many of the cell's nodes hold each op."""

from __future__ import annotations

from typing import Any

import numpy as np

from bananas.encodings._base import Encoder


class OpCountEncoder(Encoder):
    """One column per op of the space: how many of the canonical cell's nodes hold it.

    Costs such as latency add up over a cell's ops: a count per op predicts them where
    one-hots per position must learn that sum from few observations. The BANANAS step
    adds these columns when it predicts several outcomes (``bananas.bo``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._ops: dict[str, int] = {}

    @property
    def n_features(self) -> int:
        return len(self._ops)

    def _fit(self, space: Any) -> None:
        self._ops = {op: i for i, op in enumerate(space.op_names)}

    def _features(self, arch: Any) -> tuple[np.ndarray, np.ndarray]:
        g = self._space.graph(arch)
        ops = [self._ops[g.nodes[i]["op"]] for i in range(self._space.n_nodes) if i in g]
        counts = np.bincount(ops, minlength=len(self._ops))
        cols = np.flatnonzero(counts)
        return cols, counts[cols].astype(np.float64)
