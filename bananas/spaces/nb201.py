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

With a table (``--table`` or the shipped CIFAR-10/100 tables), an
architecture's metrics are the mean over the table rows of its strings.
"""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
from collections import defaultdict
from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    import optuna

from bananas.spaces._base import Space, TabularSpace
from bananas.validation import accuracy_problem

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # (from, to), in the order of the arch string
PARAMS = tuple(f"edge_{i}_{j}" for i, j in EDGES)
TABLES = {"cifar10": "nasbench201_cifar10.csv.gz", "cifar100": "nasbench201_cifar100.csv.gz"}
N_CLASSES = {"cifar10": 10, "cifar100": 100}  # the datasets whose networks' size is known without a table
TABLE_COLUMNS = ("arch str", "validation accuracy", "test accuracy")

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


class NB201TableSpace(NB201Space, TabularSpace):
    """NAS-Bench-201 with a results table: the shipped CIFAR-10/100 tables, or any CSV with the
    columns ``arch str``, ``validation accuracy`` and ``test accuracy`` (percent)."""

    def __init__(self, dataset: str = "cifar10", table: str | Path | None = None) -> None:
        super().__init__(dataset)
        if table is None and dataset not in TABLES:
            raise ValueError(
                f"no NAS-Bench-201 table ships for {dataset!r} (shipped: {', '.join(TABLES)}); "
                "give one with --table PATH.csv (columns: arch str, validation accuracy, test accuracy)"
            )
        self.table = None if table is None else str(table)
        self._rows = _read_table(self.table, dataset)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), **({"table": self.table} if self.table else {})}

    def is_valid(self, arch: Ops) -> bool:
        """The table is the space: an architecture without a row is not proposed (a table of one's own
        may hold only some of NB-201's architectures)."""
        return self.key(arch) in self._rows

    def lookup(self, arch: Ops) -> dict[str, float]:
        key = self.key(arch)
        if key not in self._rows:
            raise KeyError(f"{to_string(tuple(arch))} (and every string of the same function) has no row in the table")
        return {**self._rows[key], **self.known_metrics(arch)}

    @property
    def known_metric_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("params_m", "flops_m") if self.dataset in N_CLASSES else ()

    def known_metrics(self, arch: Ops) -> dict[str, float]:
        """Parameters and FLOPs (millions) of NB-201's network of ``arch`` for the dataset (C=16, N=5,
        32x32 images), counted by ``bananas.nets.network_costs``."""
        if self.dataset not in N_CLASSES:
            return {}
        from bananas.nets import network_costs

        params, flops = network_costs(arch, N_CLASSES[self.dataset])
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}

    def all_keys(self) -> Sequence[Hashable]:
        return list(self._rows)

    def all_metrics(self) -> list[dict[str, float]]:
        classes = _classes()
        return [self.lookup(classes[key][0]) for key in self._rows]

    def best(self) -> dict[str, float]:
        rows = self._rows.values()
        return {m: max(r[m] for r in rows) for m in ("valid_acc", "test_acc")}


@functools.lru_cache(maxsize=8)
def _read_table(path: str | None, dataset: str) -> dict[Hashable, dict[str, float]]:
    """Return the metrics per architecture (mean over the rows of its strings) of a table."""
    if path is None:
        with resources.files("bananas").joinpath("data", "nb201", TABLES[dataset]).open("rb") as raw:
            text = gzip.decompress(raw.read()).decode()
        name = f"shipped table {TABLES[dataset]}"
    else:
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:  # type: ignore[operator]
                text = f.read()
        except OSError as err:
            raise ValueError(f"cannot read table {path!r}: {err.strerror or err}") from None
        name = path
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"table {name} lacks the columns {missing}; it needs {', '.join(TABLE_COLUMNS)}")
    sums: dict[Hashable, np.ndarray] = {}
    for line, row in enumerate(reader, start=2):
        try:
            key = function_key(from_string(row["arch str"]))
            values = np.array([float(row["validation accuracy"]), float(row["test accuracy"]), 1.0])
            problem = next(filter(None, map(accuracy_problem, values[:2].tolist())), None)
            if problem:
                raise ValueError(f"accuracy {problem}")
        except (TypeError, ValueError) as err:
            raise ValueError(f"table {name}, line {line}: {err}") from None
        sums[key] = sums.get(key, 0.0) + values
    if not sums:
        raise ValueError(f"table {name} has no rows")
    return {k: {"valid_acc": float(v / n), "test_acc": float(t / n)} for k, (v, t, n) in sums.items()}


def nb201_space(dataset: str = "cifar10", table: str | Path | None = None) -> NB201Space:
    """Return the NB-201 space on ``dataset``: with a results table when one ships or is given."""
    if table is not None or dataset in TABLES:
        return NB201TableSpace(dataset, table)
    return NB201Space(dataset)
