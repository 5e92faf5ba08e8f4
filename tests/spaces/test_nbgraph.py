import itertools

import networkx as nx
import numpy as np
import pytest
from nas_bench_graph import Arch

from bananas.spaces import GraphCell, NBGraphSpace, get_space
from bananas.spaces.nbgraph import DATASETS


def test_params_and_string_round_trip(cora, rng):
    for _ in range(50):
        arch = cora.sample(rng)
        assert cora.from_params(cora.to_params(arch)) == arch
        assert cora.from_string(cora.to_string(arch)) == arch


def test_key_is_the_tables_hash(cora, rng):
    for _ in range(200):
        arch = cora._random(rng)
        if cora.is_valid(arch):
            assert cora.key(arch) == Arch(list(arch.links), list(arch.ops)).valid_hash()


def test_every_table_row_is_reached_and_only_all_skip_is_invalid(cora):
    keys = set()
    for links in itertools.product(*[range(i + 1) for i in range(4)]):
        for ops in itertools.product(cora.op_names, repeat=4):
            cell = GraphCell(links, ops)
            if cora.is_valid(cell):
                keys.add(cora.key(cell))
            else:
                assert set(ops) == {"skip"}
    assert keys == set(cora.all_keys())


def test_isomorphic_cells_share_one_key(cora, rng):
    match = nx.algorithms.isomorphism.categorical_node_match("op", None)
    checked = 0
    for _ in range(3000):
        a, b = cora.sample(rng), cora.sample(rng)
        b = GraphCell(b.links, tuple(sorted(a.ops)))  # same ops, other wiring: often isomorphic
        if nx.is_isomorphic(_raw_graph(a), _raw_graph(b), node_match=match):
            assert cora.key(a) == cora.key(b)
            checked += 1
    assert checked > 20


def _raw_graph(cell: GraphCell) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("in", op="in")
    for i, (link, op) in enumerate(zip(cell.links, cell.ops, strict=True)):
        g.add_node(i, op=op)
        g.add_edge("in" if link == 0 else link - 1, i)
    g.add_node("out", op="out")
    g.add_edges_from((i, "out") for i in range(4) if not any(link == i + 1 for link in cell.links))
    return g


def test_known_equivalence_two_orders_of_a_branch(cora):
    a = GraphCell((0, 0, 1, 2), ("gcn", "gat", "sage", "fc"))
    b = GraphCell((0, 0, 2, 1), ("gat", "gcn", "sage", "fc"))  # the branches swapped
    assert cora.key(a) == cora.key(b)
    assert cora.lookup(a) == cora.lookup(b)


def test_neighbors_are_one_edit_and_valid(cora, rng):
    arch = cora.sample(rng)
    neigh = cora.neighbors(arch)
    assert len(neigh) == 6 + 4 * 8
    for n in neigh:
        diff = sum(x != y for x, y in zip(arch.links + arch.ops, n.links + n.ops, strict=True))
        assert diff == 1 and cora.is_valid(n)


def test_lookup_metrics_in_percent(cora):
    m = cora.lookup(cora.from_string("0-1-2-3|gcn-gcn-gcn-gcn"))
    assert 0 < m["valid_acc"] <= 100 and 0 < m["test_acc"] <= 100 and m["params_m"] > 0
    assert cora.best()["valid_acc"] >= m["valid_acc"]


@pytest.mark.parametrize(
    "text", ["", "0-1-2|gcn-gcn-gcn", "0-1-2-9|gcn-gcn-gcn-gcn", "0-1-2-3|gcn-gcn-gcn-xyz", "junk"]
)
def test_malformed_ids_are_refused_with_a_reason(cora, text):
    with pytest.raises(ValueError, match=r"NAS-Bench-Graph|link|op"):
        cora.from_string(text)


def test_all_skip_lookup_is_an_error(cora):
    with pytest.raises(ValueError, match="skip"):
        cora.lookup(GraphCell((0, 0, 0, 0), ("skip",) * 4))


def test_proteins_has_its_own_ops_and_table():
    space = NBGraphSpace("proteins")
    assert space.op_names == ("gcn", "sage", "arma", "fc", "skip")
    assert len(space.all_keys()) == 2021
    arch = space.sample(np.random.default_rng(1))
    assert set(arch.ops) <= set(space.op_names)
    assert space.lookup(arch)["valid_acc"] > 0


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="cora"):
        get_space("nbgraph", "mnist")
    with pytest.raises(ValueError, match="nbgraph"):
        get_space("nb999", "cora")
    assert len(DATASETS) == 9
