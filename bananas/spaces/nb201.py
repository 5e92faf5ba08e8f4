"""NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node cell with an op on each of its 6 edges.

Node ``j`` is the sum over ``i < j`` of ``op_ij(node i)``; node 0 is the cell
input, node 3 its output. An architecture is the tuple of the six edge ops in
the order of the standard string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

Of the 15,625 strings many compute the same function: an edge is dead when
``none`` cuts it off from the input or the output, and a ``skip_connect``
passes its input's terms on unchanged. The canonical key is the symbolic
function of the cell output, e.g. ``conv3(x) + x``, as a sorted tuple of terms
(``(op, input terms)``; ``skip_connect`` splices its input's terms in, dead
edges add nothing). That gives 4,930 distinct architectures. NB-201's own
``Structure.to_unique_str(consider_zero=True)`` counts 6,466 because it keeps a
``#`` placeholder for each zero input; a placeholder changes nothing that the
cell computes, so we merge those too.

With a table (``--table`` or the shipped CIFAR-10/100 tables): ``bananas.spaces.nb201_table``.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    import optuna

from bananas.spaces._base import Space

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # (from, to), in the order of the arch string
PARAMS = tuple(f"edge_{i}_{j}" for i, j in EDGES)

Ops = tuple[str, ...]  # an architecture: the six edge ops


def to_string(ops: Ops) -> str:
    """Return the standard NB-201 string of ``ops``."""
    cells = iter(f"{op}~{i}" for op, (i, _) in zip(ops, EDGES, strict=True))
    return "+".join("|" + "|".join(itertools.islice(cells, j)) + "|" for j in (1, 2, 3))


def from_string(text: str) -> Ops:
    """Return the edge ops of a standard NB-201 string; ValueError if malformed."""
    example = "'|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'"
    ops = []
    nodes = text.strip().split("+")
    if len(nodes) != 3:
        raise ValueError(f"malformed NAS-Bench-201 string {text!r}: expected 3 nodes joined by '+', e.g. {example}")
    for j, node in enumerate(nodes, start=1):
        edges = node.strip("|").split("|")
        if len(edges) != j:
            raise ValueError(f"malformed NAS-Bench-201 string {text!r}: node {j} needs {j} edges, e.g. {example}")
        for i, edge in enumerate(edges):
            op, _, source = edge.partition("~")
            if source != str(i):
                raise ValueError(f"malformed NAS-Bench-201 string {text!r}: expected '{op}~{i}', got {edge!r}")
            if op not in OPS:
                raise ValueError(f"unknown NAS-Bench-201 op {op!r} in {text!r}; choose from {', '.join(OPS)}")
            ops.append(op)
    return tuple(ops)


def live_edges(ops: Ops) -> list[int]:
    """Return the indices of the edges on some input-to-output path (op other than ``none``)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(4))
    g.add_edges_from(edge for edge, op in zip(EDGES, ops, strict=True) if op != "none")
    alive = ({0} | nx.descendants(g, 0)) & ({3} | nx.ancestors(g, 3))
    return [e for e, ((i, j), op) in enumerate(zip(EDGES, ops, strict=True)) if op != "none" and {i, j} <= alive]


@functools.cache
def function_key(ops: Ops) -> tuple[Any, ...]:
    """Return the cell output as a symbolic sum of terms: equal exactly when two cells compute the same."""
    live = set(live_edges(ops))
    node: dict[int, tuple[Any, ...]] = {0: ("x",)}
    for j in (1, 2, 3):
        terms: list[Any] = []
        for e, (i, to) in enumerate(EDGES):
            if to != j or e not in live:
                continue
            if ops[e] == "skip_connect":
                terms.extend(node[i])
            else:
                terms.append((ops[e], node[i]))
        node[j] = tuple(sorted(terms, key=repr))
    return node[3]


@functools.cache
def _classes() -> dict[Hashable, list[Ops]]:
    """Return every string's ops grouped by function, simplest first (fewest ops, then by string)."""
    groups: dict[Hashable, list[Ops]] = defaultdict(list)
    for ops in itertools.product(OPS, repeat=len(EDGES)):
        groups[function_key(ops)].append(ops)
    for members in groups.values():
        members.sort(key=lambda o: (sum(op != "none" for op in o), to_string(o)))
    return dict(groups)


def canonical(ops: Ops) -> Ops:
    """Return the simplest string of the same function (dead edges ``none``, skips folded where they can be)."""
    return _classes()[function_key(ops)][0]


class NB201Space(Space):
    """The NAS-Bench-201 cell space (no results table: for training evaluators).

    Args:
        dataset: what the architectures are trained on (a name recorded in the
            study: ``digits``, ``cifar10``, ...).
    """

    name = "nb201"
    op_names = OPS[1:]  # what encoders see: ``none`` is the absence of an edge

    def __init__(self, dataset: str = "cifar10") -> None:
        self.dataset = dataset

    # -- params and ids -------------------------------------------------------------
    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        import optuna

        return {name: optuna.distributions.CategoricalDistribution(OPS) for name in PARAMS}

    def to_params(self, arch: Ops) -> dict[str, Any]:
        return dict(zip(PARAMS, arch, strict=True))

    def from_params(self, params: dict[str, Any]) -> Ops:
        missing = [p for p in PARAMS if p not in params]
        if missing:
            raise ValueError(f"NAS-Bench-201 params lack {', '.join(map(repr, missing))}")
        ops = tuple(str(params[p]) for p in PARAMS)
        unknown = sorted(set(ops) - set(OPS))
        if unknown:
            raise ValueError(f"unknown NAS-Bench-201 ops {unknown}; choose from {', '.join(OPS)}")
        return ops

    def to_string(self, arch: Ops) -> str:
        return to_string(arch)

    def from_string(self, text: str) -> Ops:
        return from_string(text)

    # -- identity -------------------------------------------------------------------
    def is_valid(self, arch: Ops) -> bool:
        return True  # every string is a network (one whose output is cut off computes zero)

    def key(self, arch: Ops) -> Hashable:
        return function_key(tuple(arch))

    def canonical(self, arch: Ops) -> Ops:
        """Return the simplest string computing the same function as ``arch``."""
        return canonical(tuple(arch))

    def graph(self, arch: Ops) -> nx.DiGraph:
        """The canonical cell as a DAG of its live edges: node ``e`` is edge ``e`` with ``op``."""
        import networkx as nx

        ops = self.canonical(arch)
        live = live_edges(ops)
        g = nx.DiGraph()
        g.add_node("input", op="input")
        g.add_node("output", op="output")
        for e in live:
            g.add_node(e, op=ops[e])
        for e in live:
            i, j = EDGES[e]
            if i == 0:
                g.add_edge("input", e)
            if j == 3:
                g.add_edge(e, "output")
            g.add_edges_from((e, f) for f in live if EDGES[f][0] == j)
        return g

    @property
    def n_nodes(self) -> int:
        return len(EDGES)

    def network(self, arch: Ops, **kwargs: Any) -> Any:
        """Return the NB-201 network of ``arch`` (``bananas.nets.Network``; ``kwargs``: its arguments)."""
        from bananas.nets import Network

        return Network(self.canonical(arch), **kwargs)

    @property
    def max_path_length(self) -> int:
        return 3  # input -> 1 -> 2 -> output

    # -- moves ----------------------------------------------------------------------
    def _random(self, rng: np.random.Generator) -> Ops:
        return tuple(OPS[i] for i in rng.integers(len(OPS), size=len(EDGES)))

    def neighbors(self, arch: Ops) -> list[Ops]:
        """Every architecture one op change away that computes something else (one string per function)."""
        arch = tuple(arch)
        out = [arch[:e] + (op,) + arch[e + 1 :] for e in range(len(EDGES)) for op in OPS if op != arch[e]]
        return [n for n in self.unique(out, exclude=[self.key(arch)]) if self.is_valid(n)]
