"""NAS-Bench-201 networks in PyTorch (the macro skeleton of Dong & Yang, ICLR 2020).

A 3x3 conv stem, three stages of ``n_cells`` cells with ``C``, ``2C`` and
``4C`` channels joined by residual reduction blocks, then BN-ReLU, global
average pooling and a linear head. A cell builds only the live edges of its
canonical form, so every string of one architecture gives the same network.
Module names are stable per edge (``...cell.edges.e3``), which lets a
mutated child take its parent's weights wherever names and shapes match.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from bananas.spaces.nb201 import EDGES, OPS, canonical, live_edges


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


def make_op(name: str, channels: int) -> nn.Module:
    """Return the module of an NB-201 edge op (``none`` edges are never built)."""
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"no module for NB-201 op {name!r}")


class CellModule(nn.Module):
    """Node ``j`` = sum of ``op_ij(node i)`` over the live edges into it; returns node 3."""

    def __init__(self, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        ops = canonical(tuple(ops))
        self.live = live_edges(ops)
        self.edges = nn.ModuleDict({f"e{e}": make_op(ops[e], channels) for e in self.live})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.live:
            return torch.zeros_like(x)  # a cell whose output is cut off computes zero
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for e in self.live:  # edges come in topological order: (0,1), (0,2), (1,2), (0,3), (1,3), (2,3)
            i, j = EDGES[e]
            out = self.edges[f"e{e}"](nodes[i])
            nodes[j] = out if nodes[j] is None else nodes[j] + out
        return nodes[3]  # type: ignore[return-value]


class Reduction(nn.Module):
    """NB-201's residual reduction block: stride-2 conv pair plus an avg-pool + 1x1 conv shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


def build_skeleton(
    net: nn.Module,
    make_cell: Callable[[int], nn.Module],
    *,
    in_channels: int,
    n_classes: int,
    channels: int,
    n_cells: int,
) -> list[nn.Module]:
    """Give ``net`` NB-201's ``stem``, ``head`` and ``classifier``; return its layers: three stages of
    ``n_cells`` cells (``make_cell(channels)``) with C, 2C and 4C channels joined by reductions."""
    if channels < 1 or n_cells < 1:
        raise ValueError(f"need channels >= 1 and n_cells >= 1, got {channels} and {n_cells}")
    net.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
    layers: list[nn.Module] = []
    c = channels
    for stage in range(3):
        if stage:
            layers.append(Reduction(c, 2 * c))
            c *= 2
        layers += [make_cell(c) for _ in range(n_cells)]
    net.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    net.classifier = nn.Linear(c, n_classes)
    return layers


class Network(nn.Module):
    """The NB-201 network of cell ``ops`` for ``in_channels``-channel images and ``n_classes``."""

    stem: nn.Module
    head: nn.Module
    classifier: nn.Module

    def __init__(
        self, ops: Sequence[str], *, in_channels: int, n_classes: int, channels: int = 16, n_cells: int = 5
    ) -> None:
        super().__init__()
        size = {"in_channels": in_channels, "n_classes": n_classes, "channels": channels, "n_cells": n_cells}
        self.layers = nn.Sequential(*build_skeleton(self, lambda c: CellModule(ops, c), **size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(self.layers(self.stem(x))))


def count_flops(model: nn.Module, shape: Sequence[int]) -> int:
    """Return the FLOPs of one forward pass on a single input of ``shape`` (torch's FlopCounterMode)."""
    from torch.utils.flop_counter import FlopCounterMode

    param = next(model.parameters())
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *shape, device=param.device, dtype=param.dtype))
    model.train(was_training)
    return int(counter.get_total_flops())


@functools.cache
def op_costs(
    n_classes: int, channels: int = 16, n_cells: int = 5, shape: tuple[int, ...] = (3, 32, 32)
) -> dict[str, Any]:
    """Return the parameter count and FLOPs of an NB-201 network as ``base`` (the skeleton, every edge
    ``none``) plus, per live edge, its op's share (``ops``: name to ``(params, flops)``), counted on the
    networks themselves. Each live edge builds one op module of the cell's width in every cell, so the
    sum is exact (``network_costs``; tested against counting whole networks)."""

    def count(ops: tuple[str, ...]) -> tuple[int, int]:
        net = Network(ops, in_channels=shape[0], n_classes=n_classes, channels=channels, n_cells=n_cells)
        return sum(p.numel() for p in net.parameters()), count_flops(net, shape)

    base = count(("none",) * len(EDGES))
    one_edge = {op: count(("none",) * 3 + (op,) + ("none",) * 2) for op in OPS if op != "none"}  # edge 0 -> 3
    return {"base": base, "ops": {op: (p - base[0], f - base[1]) for op, (p, f) in one_edge.items()}}


def network_costs(ops: Sequence[str], n_classes: int, **skeleton: Any) -> tuple[int, int]:
    """Return the parameter count and FLOPs of the NB-201 network of ``ops`` (``skeleton``: ``op_costs``'s
    channels, n_cells, shape), from ``op_costs`` without building it."""
    costs = op_costs(n_classes, **skeleton)
    ops = canonical(tuple(ops))
    params, flops = costs["base"]
    for e in live_edges(ops):
        params += costs["ops"][ops[e]][0]
        flops += costs["ops"][ops[e]][1]
    return params, flops
