"""Cell spaces a user declares: a DAG of ``nodes`` inner nodes between an input and an output.

Two families (Table 1 of the BANANAS paper):

- ``ops_on="nodes"`` (NAS-Bench-101): any edge ``i -> j`` (``i < j``) of the
  vertices ``0`` (input), ``1..nodes``, ``nodes + 1`` (output) may exist, at
  most ``max_edges`` of them; each inner node carries an op.
- ``ops_on="edges"`` (NAS-Bench-201, DARTS): every edge ``i -> j`` carries an
  op or is absent (``none``).

An architecture is a ``Cell``: its edges (sorted pairs) and its ops (one per
inner node, or one per edge). A cell is valid when some path joins input and
output (and it keeps to ``max_edges``). Its canonical graph keeps what lies on
an input-to-output path; the canonical key is networkx's Weisfeiler-Lehman
hash of that graph (in- and out-edges), with ops as node labels, so that
isomorphic cells are one architecture. Sampling, one-edit moves, flat params,
a readable id (``0-1,1-6|conv3x3,maxpool``) and the encodings follow.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from bananas.spaces._base import Space, values_of

if TYPE_CHECKING:
    import networkx as nx
    import optuna
    from torch import nn

NONE = "none"  # an absent edge, in an edge-op cell's params


class Cell(NamedTuple):
    """An architecture of a ``CellSpace``: sorted edges ``(i, j)``, ``i < j``, and its ops (one per inner
    node ``1..nodes`` for ops on nodes; one per edge, in the order of ``edges``, for ops on edges)."""

    edges: tuple[tuple[int, int], ...]
    ops: tuple[str, ...]


class CellSpace(Space):
    """A cell search space declared by its node count and operation vocabulary.

    Args:
        ops: the operation names, or a mapping of each name to a module factory
            ``channels -> nn.Module`` that keeps the input's shape (then ``network`` builds the cell).
        nodes: inner nodes between the input and the output.
        ops_on: ``"nodes"`` (NAS-Bench-101 family) or ``"edges"`` (NAS-Bench-201 / DARTS family).
        max_edges: most edges a cell may have (NAS-Bench-101: 9); None: no limit.
        name, dataset: what the study records.
    """

    def __init__(
        self,
        ops: Sequence[str] | Mapping[str, Callable[[int], nn.Module]],
        nodes: int,
        *,
        ops_on: Literal["nodes", "edges"] = "nodes",
        max_edges: int | None = None,
        name: str = "cell",
        dataset: str = "digits",
    ) -> None:
        self._modules = dict(ops) if isinstance(ops, Mapping) else None
        ops = tuple(ops)
        bad = [op for op in ops if not op or any(c in op for c in ",|~ ") or op == NONE]
        if not ops or bad or len(set(ops)) != len(ops):
            raise ValueError(f"ops must be distinct names without ',', '|', '~' or spaces (and not 'none'): {ops}")
        if nodes < 1 or ops_on not in ("nodes", "edges") or (max_edges is not None and max_edges < 1):
            raise ValueError(f"need nodes >= 1, ops_on 'nodes' or 'edges', max_edges >= 1; got {nodes}, {ops_on!r}")
        self.op_names, self.nodes, self.ops_on, self.max_edges = ops, nodes, ops_on, max_edges
        self.name, self.dataset = name, dataset
        self.pairs = tuple(itertools.combinations(range(nodes + 2), 2))
        self._key = functools.lru_cache(maxsize=1 << 16)(self._hash)

    @property
    def modules(self) -> Mapping[str, Callable[[int], nn.Module]] | None:
        """The op module factories (None: op names only, ``build`` needs ``ops=``)."""
        return self._modules

    @property
    def output(self) -> int:
        return self.nodes + 1

    # -- params and ids -------------------------------------------------------------
    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        from optuna.distributions import CategoricalDistribution, IntDistribution

        if self.ops_on == "edges":
            return {f"edge_{i}_{j}": CategoricalDistribution((NONE, *self.op_names)) for i, j in self.pairs}
        dists: dict[str, Any] = {f"edge_{i}_{j}": IntDistribution(0, 1) for i, j in self.pairs}
        return dists | {f"op_{k}": CategoricalDistribution(self.op_names) for k in range(1, self.nodes + 1)}

    def to_params(self, arch: Cell) -> dict[str, Any]:
        if self.ops_on == "edges":
            on = dict(zip(arch.edges, arch.ops, strict=True))
            return {f"edge_{i}_{j}": on.get((i, j), NONE) for i, j in self.pairs}
        params: dict[str, Any] = {f"edge_{i}_{j}": int((i, j) in arch.edges) for i, j in self.pairs}
        return params | {f"op_{k}": op for k, op in enumerate(arch.ops, start=1)}

    def from_params(self, params: dict[str, Any]) -> Cell:
        missing = [name for name in self.distributions() if name not in params]
        if missing:
            raise ValueError(f"cell params lack {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        if self.ops_on == "edges":
            on = [((i, j), str(params[f"edge_{i}_{j}"])) for i, j in self.pairs]
            on = [(e, op) for e, op in on if op != NONE]
            return self._checked(Cell(tuple(e for e, _ in on), tuple(op for _, op in on)))
        edges = tuple(p for p in self.pairs if int(params[f"edge_{p[0]}_{p[1]}"]))
        return self._checked(Cell(edges, tuple(str(params[f"op_{k}"]) for k in range(1, self.nodes + 1))))

    def to_string(self, arch: Cell) -> str:
        return ",".join(f"{i}-{j}" for i, j in arch.edges) + "|" + ",".join(arch.ops)

    def from_string(self, text: str) -> Cell:
        example = "0-1,1-2,0-2,2-3|" + ",".join(self.op_names[:1] * (self.nodes if self.ops_on == "nodes" else 4))
        try:
            edges_text, ops_text = text.split("|")
            edges = tuple(tuple(int(v) for v in e.split("-")) for e in edges_text.split(",") if e)
            cell = Cell(edges, tuple(o for o in ops_text.split(",") if o))  # type: ignore[arg-type]
        except ValueError:
            raise ValueError(f"malformed {self.name} cell id {text!r}; expected edges|ops, e.g. {example!r}") from None
        return self._checked(cell)

    def _checked(self, cell: Cell) -> Cell:
        if any(e not in self.pairs for e in cell.edges) or list(cell.edges) != sorted(set(cell.edges)):
            raise ValueError(f"edges must be sorted distinct pairs i-j with 0 <= i < j <= {self.output}: {cell.edges}")
        n_ops = self.nodes if self.ops_on == "nodes" else len(cell.edges)
        if len(cell.ops) != n_ops or not set(cell.ops) <= set(self.op_names):
            raise ValueError(f"need {n_ops} ops from {', '.join(self.op_names)}; got {list(cell.ops)}")
        return cell

    # -- identity -------------------------------------------------------------------
    def is_valid(self, arch: Cell) -> bool:
        if self.max_edges is not None and len(arch.edges) > self.max_edges:
            return False
        return self._live(arch) is not None

    def _live(self, arch: Cell) -> set[int] | None:
        """The vertices on an input-to-output path (None: the output is cut off)."""
        down, up = {0}, {self.output}
        for i, j in arch.edges:  # sorted: a forward sweep finds what the input reaches
            if i in down:
                down.add(j)
        for i, j in reversed(arch.edges):
            if j in up:
                up.add(i)
        return down & up if self.output in down else None

    def key(self, arch: Cell) -> Hashable:
        return self._key(arch)

    def _hash(self, arch: Cell) -> Hashable:
        import warnings

        import networkx as nx

        with warnings.catch_warnings():  # "hashes of directed graphs changed in 3.5": we require >= 3.5
            warnings.simplefilter("ignore", UserWarning)
            return nx.weisfeiler_lehman_graph_hash(self.graph(arch), node_attr="op", iterations=self.nodes + 1)

    def graph(self, arch: Cell) -> nx.DiGraph:
        """The canonical cell: what lies on an input-to-output path. Ops on nodes: inner node ``k`` is
        position ``k - 1``. Ops on edges: each live edge is a node (its position in ``pairs``)."""
        import networkx as nx

        live = self._live(arch) or set()
        name = {0: "input", self.output: "output"}
        g = nx.DiGraph()
        g.add_node("input", op="input")
        g.add_node("output", op="output")
        kept = [(e, k) for k, e in enumerate(arch.edges) if e[0] in live and e[1] in live]
        if self.ops_on == "nodes":
            g.add_nodes_from((v - 1, {"op": arch.ops[v - 1]}) for v in sorted(live - {0, self.output}))
            g.add_edges_from((name.get(i, i - 1), name.get(j, j - 1)) for (i, j), _ in kept)
            return g
        for (i, j), k in kept:
            node = self.pairs.index((i, j))
            g.add_node(node, op=arch.ops[k])
            g.add_edges_from([("input", node)] if i == 0 else [])
            g.add_edges_from([(node, "output")] if j == self.output else [])
        for (i, j), _ in kept:
            g.add_edges_from((self.pairs.index((i, j)), self.pairs.index((a, b))) for (a, b), _ in kept if a == j)
        return g

    @property
    def n_nodes(self) -> int:
        return self.nodes if self.ops_on == "nodes" else len(self.pairs)

    @property
    def max_path_length(self) -> int:
        return self.nodes if self.ops_on == "nodes" else self.nodes + 1

    # -- moves ----------------------------------------------------------------------
    def _random(self, rng: np.random.Generator) -> Cell:
        if self.ops_on == "edges":
            choice = rng.integers(len(self.op_names) + 1, size=len(self.pairs))
            on = [(p, self.op_names[c - 1]) for p, c in zip(self.pairs, choice, strict=True) if c]
            return Cell(tuple(p for p, _ in on), tuple(op for _, op in on))
        edges = tuple(p for p, bit in zip(self.pairs, rng.random(len(self.pairs)) < 0.5, strict=True) if bit)
        return Cell(edges, tuple(self.op_names[i] for i in rng.integers(len(self.op_names), size=self.nodes)))

    def neighbors(self, arch: Cell) -> list[Cell]:
        """Every valid cell one edit away: an edge added or removed, or one op changed."""
        params = self.to_params(arch)
        out = []
        for name, dist in self.distributions().items():
            out += [self.from_params({**params, name: v}) for v in values_of(dist) or [] if v != params[name]]
        return [c for c in self.unique(out, exclude=[self.key(arch)]) if self.is_valid(c)]

    # -- networks -------------------------------------------------------------------
    def build(
        self, arch: Cell, channels: int, ops: Mapping[str, Callable[[int], nn.Module]] | None = None
    ) -> nn.Module:
        """Return the cell as a PyTorch module on ``channels``-channel inputs, its ops made by ``ops`` (op
        name -> factory ``channels -> module`` keeping the shape; default: the space's own)."""
        from bananas.cell_nets import CellModule

        ops = ops if ops is not None else self.modules
        if ops is None:
            raise ValueError(f"space {self.name!r} has op names only; give ops={{name: channels -> nn.Module}}")
        return CellModule(self, arch, ops, channels)

    def network(
        self, arch: Cell, *, in_channels: int, n_classes: int, channels: int = 16, n_cells: int = 1
    ) -> nn.Module:
        """Return ``bananas.cell_nets.StackedNetwork`` of ``arch``'s cell (the space's own op modules)."""
        from bananas.cell_nets import StackedNetwork

        self.build(arch, channels)  # names a missing op factory before anything is stacked
        return StackedNetwork(
            lambda c: self.build(arch, c),
            in_channels=in_channels,
            n_classes=n_classes,
            channels=channels,
            n_cells=n_cells,
        )


NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")


class NB101Space(CellSpace):
    """NAS-Bench-101 (Ying et al., 2019), the space of the BANANAS paper: 7 vertices (5 inner nodes),
    at most 9 edges, ops conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3 on the inner nodes; 423,624
    unique cells. No results table ships (none can be read offline): search it with the training
    evaluator (``bananas.cell_nets.NB101_OPS`` builds the ops)."""

    def __init__(self, dataset: str = "fashion-mnist") -> None:
        super().__init__(NB101_OPS, 5, ops_on="nodes", max_edges=9, name="nb101", dataset=dataset)

    @property
    def modules(self) -> Mapping[str, Callable[[int], nn.Module]]:
        from bananas.cell_nets import NB101_OPS as modules

        return modules
