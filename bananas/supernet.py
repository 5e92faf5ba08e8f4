"""A weight-sharing supernet of the NAS-Bench-201 space (one-shot NAS: ENAS, DARTS).

The skeleton is ``bananas.nets.Network``'s (stem, three stages of ``n_cells``
cells, residual reductions, head), and every edge of every cell holds all
candidate operations (``MixedOp``). The supernet runs in one of two ways:

- **mixed**: each edge computes the sum of its ops weighted by the softmax of
  the architecture parameters ``alpha`` (one row per edge, shared by all cells,
  one column per op of ``OPS``, ``none`` contributing zero), as in DARTS;
- **one path**: a concrete architecture selects one op per edge, and only its
  live edges compute, exactly as the standalone network of that architecture
  (``subnet_state`` gives that network the shared weights; tested equal).

``inherited_accuracy`` scores an architecture with the shared weights, no
training: one pass over the validation images with batch statistics in the
normalization layers (the running statistics of a supernet mix every path).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

from bananas.nets import build_skeleton, make_op
from bananas.spaces.nb201 import EDGES, OPS, canonical, live_edges

Ops = tuple[str, ...]
_EDGE_OP = re.compile(r"^(layers\.\d+\.edges\.e\d)\.ops\.([a-z_0-9]+)\.(.+)$")


class MixedOp(nn.Module):
    """Every NB-201 op of one edge (``none`` builds no module: it computes zero)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleDict({op: make_op(op, channels) for op in OPS if op != "none"})

    def forward(self, x: torch.Tensor, weights: torch.Tensor | str) -> torch.Tensor:
        """``weights``: one per op of ``OPS`` (mixed), or the name of the one op to run."""
        if isinstance(weights, str):
            return self.ops[weights](x)
        return sum(weights[OPS.index(op)] * module(x) for op, module in self.ops.items())  # type: ignore[return-value]


class SuperCell(nn.Module):
    """An NB-201 cell with a ``MixedOp`` on each of its six edges; returns node 3."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleDict({f"e{e}": MixedOp(channels) for e in range(len(EDGES))})

    def forward(self, x: torch.Tensor, arch: torch.Tensor | Ops) -> torch.Tensor:
        if isinstance(arch, tuple):
            edges = live_edges(arch)
            if not edges:
                return torch.zeros_like(x)
        else:
            edges = list(range(len(EDGES)))
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for e in edges:  # topological order
            i, j = EDGES[e]
            if nodes[i] is None:
                continue
            out = self.edges[f"e{e}"](nodes[i], arch[e])
            nodes[j] = out if nodes[j] is None else nodes[j] + out
        return nodes[3] if nodes[3] is not None else torch.zeros_like(x)


class Supernet(nn.Module):
    """The NB-201 supernet for ``in_channels``-channel images and ``n_classes`` (``alpha``: ``6 x 5``)."""

    stem: nn.Module
    head: nn.Module
    classifier: nn.Module

    def __init__(self, *, in_channels: int, n_classes: int, channels: int = 16, n_cells: int = 5) -> None:
        super().__init__()
        size = {"in_channels": in_channels, "n_classes": n_classes, "channels": channels, "n_cells": n_cells}
        self.layers = nn.ModuleList(build_skeleton(self, SuperCell, **size))
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(OPS)))

    def weights(self) -> list[nn.Parameter]:
        """The network's weights (everything but ``alpha``)."""
        return [p for name, p in self.named_parameters() if name != "alpha"]

    def forward(self, x: torch.Tensor, arch: Sequence[str] | None = None) -> torch.Tensor:
        """Mixed (``arch`` None: softmax of ``alpha`` per edge) or the one path of architecture ``arch``."""
        cell: torch.Tensor | Ops = torch.softmax(self.alpha, dim=-1) if arch is None else canonical(tuple(arch))
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, cell) if isinstance(layer, SuperCell) else layer(x)
        return self.classifier(self.head(x))

    def derive(self) -> Ops:
        """The architecture of the strongest op per edge (argmax of ``alpha``, ``none`` included)."""
        return tuple(OPS[i] for i in self.alpha.argmax(dim=-1).tolist())

    def subnet_state(self, arch: Sequence[str]) -> dict[str, torch.Tensor]:
        """The state of ``bananas.nets.Network(arch)`` with the supernet's shared weights."""
        ops = canonical(tuple(arch))
        live = {f"e{e}": ops[e] for e in live_edges(ops)}
        state = {}
        for name, value in self.state_dict().items():
            match = _EDGE_OP.match(name)
            if match is None:
                if name != "alpha":
                    state[name] = value
            elif live.get(match.group(1).rsplit(".", 1)[1]) == match.group(2):
                state[f"{match.group(1)}.{match.group(3)}"] = value
        return state
