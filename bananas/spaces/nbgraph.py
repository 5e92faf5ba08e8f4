"""NAS-Bench-Graph (Qin et al., NeurIPS 2022): 26,206 GNN cells on nine datasets.

A cell has four op nodes; node ``i`` reads from ``links[i]`` (0 = the cell
input, ``j`` = op node ``j - 1``), so ``links[i] <= i``. Nodes without a
successor are summed into the output. The results table ships with the PyPI
package ``nas-bench-graph``; its own canonical hash (``Arch.valid_hash``) folds
isomorphic cells and moved skip connections into one row.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    import optuna

from bananas.spaces._base import TabularSpace

DATASETS = (
    "cora",
    "citeseer",
    "pubmed",
    "cs",
    "arxiv",  # development
    "physics",
    "photo",
    "computers",
    "proteins",  # held out
)
N_NODES = 4


class GraphCell(NamedTuple):
    """A NAS-Bench-Graph cell: ``links[i]`` feeds op node ``i``, which applies ``ops[i]``."""

    links: tuple[int, ...]
    ops: tuple[str, ...]


@functools.cache
def _table(dataset: str) -> dict[int, dict[str, Any]]:
    from nas_bench_graph import light_read

    return light_read(dataset)


def _metrics(row: dict[str, Any]) -> dict[str, float]:
    """A table row as the metrics a search records."""
    return {
        "valid_acc": 100.0 * float(row["valid_perf"]),
        "test_acc": 100.0 * float(row["perf"]),
        "latency": float(row["latency"]),
        "params_m": float(row["para"]),
    }


class NBGraphSpace(TabularSpace):
    """The NAS-Bench-Graph space on one of its nine datasets."""

    name = "nbgraph"

    def __init__(self, dataset: str = "cora") -> None:
        if dataset not in DATASETS:
            raise ValueError(f"unknown NAS-Bench-Graph dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
        from nas_bench_graph import gnn_list, gnn_list_proteins

        self.dataset = dataset
        self.op_names = tuple(gnn_list_proteins if dataset == "proteins" else gnn_list)

    # -- params and ids -------------------------------------------------------------
    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        import optuna

        dists: dict[str, optuna.distributions.BaseDistribution] = {}
        for i in range(1, N_NODES):
            dists[f"link{i}"] = optuna.distributions.IntDistribution(0, i)
        for i in range(N_NODES):
            dists[f"op{i}"] = optuna.distributions.CategoricalDistribution(self.op_names)
        return dists

    def to_params(self, arch: GraphCell) -> dict[str, Any]:
        params: dict[str, Any] = {f"link{i}": arch.links[i] for i in range(1, N_NODES)}
        params.update({f"op{i}": arch.ops[i] for i in range(N_NODES)})
        return params

    def from_params(self, params: dict[str, Any]) -> GraphCell:
        try:
            links = (0, *(int(params[f"link{i}"]) for i in range(1, N_NODES)))
            ops = tuple(str(params[f"op{i}"]) for i in range(N_NODES))
        except KeyError as err:
            raise ValueError(f"NAS-Bench-Graph params lack {err.args[0]!r}") from None
        return self._checked(GraphCell(links, ops))

    def to_string(self, arch: GraphCell) -> str:
        return "-".join(map(str, arch.links)) + "|" + "-".join(arch.ops)

    def from_string(self, text: str) -> GraphCell:
        try:
            links_text, ops_text = text.split("|")
            cell = GraphCell(tuple(int(x) for x in links_text.split("-")), tuple(ops_text.split("-")))
        except ValueError:
            raise ValueError(
                f"malformed NAS-Bench-Graph id {text!r}; expected e.g. '0-0-1-2|gcn-gat-skip-fc'"
            ) from None
        return self._checked(cell)

    def _checked(self, cell: GraphCell) -> GraphCell:
        if len(cell.links) != N_NODES or len(cell.ops) != N_NODES:
            raise ValueError(f"a NAS-Bench-Graph cell has {N_NODES} links and {N_NODES} ops: {cell}")
        if any(not 0 <= link <= i for i, link in enumerate(cell.links)):
            raise ValueError(f"link i must lie in 0..i (0 = cell input): {cell.links}")
        unknown = set(cell.ops) - set(self.op_names)
        if unknown:
            raise ValueError(
                f"unknown ops {sorted(unknown)} for {self.dataset}; choose from {', '.join(self.op_names)}"
            )
        return cell

    # -- identity -------------------------------------------------------------------
    def is_valid(self, arch: GraphCell) -> bool:
        return any(op != "skip" for op in arch.ops)

    def key(self, arch: GraphCell) -> Hashable:
        return _canonical(arch)[1]

    def canonical(self, arch: GraphCell) -> GraphCell:
        """Return the table's canonical form of ``arch`` (same network, one description)."""
        return _canonical(arch)[0]

    def graph(self, arch: GraphCell) -> nx.DiGraph:
        import networkx as nx

        cell = self.canonical(arch)
        g = nx.DiGraph()
        g.add_node("input", op="input")
        g.add_node("output", op="output")
        for i, (link, op) in enumerate(zip(cell.links, cell.ops, strict=True)):
            g.add_node(i, op=op)
            g.add_edge("input" if link == 0 else link - 1, i)
        for i in range(N_NODES):
            if g.out_degree(i) == 0:
                g.add_edge(i, "output")
        return g

    @property
    def n_nodes(self) -> int:
        return N_NODES

    # -- moves ----------------------------------------------------------------------
    def _random(self, rng: np.random.Generator) -> GraphCell:
        links = (0, *(int(rng.integers(i + 1)) for i in range(1, N_NODES)))
        ops = tuple(self.op_names[j] for j in rng.integers(len(self.op_names), size=N_NODES))
        return GraphCell(links, ops)

    def neighbors(self, arch: GraphCell) -> list[GraphCell]:
        out = []
        for i in range(1, N_NODES):
            for link in range(i + 1):
                if link != arch.links[i]:
                    out.append(GraphCell(arch.links[:i] + (link,) + arch.links[i + 1 :], arch.ops))
        for i in range(N_NODES):
            for op in self.op_names:
                if op != arch.ops[i]:
                    out.append(GraphCell(arch.links, arch.ops[:i] + (op,) + arch.ops[i + 1 :]))
        return [c for c in out if self.is_valid(c)]

    # -- table ----------------------------------------------------------------------
    def lookup(self, arch: GraphCell) -> dict[str, float]:
        if not self.is_valid(arch):
            raise ValueError(f"{self.to_string(arch)} is no network: a cell needs an op other than skip")
        return _metrics(_table(self.dataset)[self.key(arch)])  # type: ignore[index]

    def all_metrics(self) -> list[dict[str, float]]:
        return [_metrics(row) for row in _table(self.dataset).values()]

    known_metric_names = ("params_m",)

    def known_metrics(self, arch: GraphCell) -> dict[str, float]:
        """The table's parameter count of ``arch``: it follows from the architecture."""
        return {"params_m": float(_table(self.dataset)[self.key(arch)]["para"])}  # type: ignore[index]

    def all_keys(self) -> Sequence[Hashable]:
        return list(_table(self.dataset))

    def best(self) -> dict[str, float]:
        rows = _table(self.dataset).values()
        return {
            "valid_acc": 100.0 * max(float(r["valid_perf"]) for r in rows),
            "test_acc": 100.0 * max(float(r["perf"]) for r in rows),
        }


@functools.lru_cache(maxsize=1 << 17)
def _canonical(cell: GraphCell) -> tuple[GraphCell, int]:
    """Return the table's canonical cell and its row key (``Arch.valid_hash``)."""
    from nas_bench_graph import Arch

    arch = Arch(list(cell.links), list(cell.ops)).regularize()
    arch.move_skip_op()
    arch.equalpart_sort()
    return GraphCell(tuple(arch.link), tuple(arch.ops)), arch.hash_arch()
