"""PyTorch networks of user-declared cells (``bananas.spaces.cell.CellSpace``).

A cell keeps its input's shape and channels. Ops on nodes (NAS-Bench-101): an
inner node applies its op to the sum of its inputs; the output sums its
inputs. Ops on edges (NAS-Bench-201, DARTS): a node sums ``op(edge source)``
over its incoming edges; the output is the last node. Only what lies on an
input-to-output path is built. ``StackedNetwork`` is the usual skeleton: a
stem, three stages of ``n_cells`` cells with ``C``, ``2C`` and ``4C`` channels
joined by max-pool + 1x1 conv reductions, then global pooling and a linear head.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from bananas.spaces.cell import Cell, CellSpace

OpFactory = Callable[[int], nn.Module]  # channels -> a module that keeps the shape


class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        )


# The NAS-Bench-101 operations (Ying et al., 2019), by name.
NB101_OPS: dict[str, OpFactory] = {
    "conv3x3-bn-relu": lambda c: ConvBNReLU(c, c, 3),
    "conv1x1-bn-relu": lambda c: ConvBNReLU(c, c, 1),
    "maxpool3x3": lambda c: nn.MaxPool2d(3, stride=1, padding=1),
}


class CellModule(nn.Module):
    """The cell ``arch`` of ``space`` with modules from ``ops`` (op name -> factory of ``channels``)."""

    def __init__(self, space: CellSpace, arch: Cell, ops: Mapping[str, OpFactory], channels: int) -> None:
        super().__init__()
        missing = sorted(set(arch.ops) - set(ops))
        if missing:
            raise ValueError(f"no module factory for ops {missing}; give ops={{name: channels -> nn.Module}}")
        live = space._live(arch) or set()
        self.output = space.output
        self.edges = [(i, j) for i, j in arch.edges if i in live and j in live]
        self.on_nodes = space.ops_on == "nodes"
        if self.on_nodes:
            names = {v: arch.ops[v - 1] for v in live - {0, self.output}}
            self.ops = nn.ModuleDict({f"n{v}": ops[name](channels) for v, name in names.items()})
        else:
            on = dict(zip(arch.edges, arch.ops, strict=True))
            self.ops = nn.ModuleDict({f"e{i}_{j}": ops[on[(i, j)]](channels) for i, j in self.edges})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.edges:
            return torch.zeros_like(x)  # a cell whose output is cut off computes zero
        values: dict[int, Any] = {0: x}
        for v in range(1, self.output + 1):
            inputs = [(i, values[i]) for i, j in self.edges if j == v and i in values]
            if not inputs:
                continue
            if self.on_nodes:
                total = sum(t for _, t in inputs)
                values[v] = total if v == self.output else self.ops[f"n{v}"](total)
            else:
                values[v] = sum(self.ops[f"e{i}_{v}"](t) for i, t in inputs)
        return values[self.output]


class StackedNetwork(nn.Module):
    """Stem, three stages of ``n_cells`` cells (``make_cell(channels)``), reductions, pooled linear head."""

    def __init__(
        self, make_cell: Callable[[int], nn.Module], *, in_channels: int, n_classes: int, channels: int, n_cells: int
    ) -> None:
        super().__init__()
        if channels < 1 or n_cells < 1:
            raise ValueError(f"need channels >= 1 and n_cells >= 1, got {channels} and {n_cells}")
        self.stem = ConvBNReLU(in_channels, channels, 3)
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage:
                layers += [nn.MaxPool2d(2, ceil_mode=True), ConvBNReLU(c, 2 * c, 1)]
                c *= 2
            layers += [make_cell(c) for _ in range(n_cells)]
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)))
