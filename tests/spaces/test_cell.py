"""User-declared cell spaces: canonical keys against exhaustive isomorphism, validity, params, networks."""

import itertools
import sys
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch

from bananas.cell_nets import NB101_OPS, StackedNetwork
from bananas.spaces import Cell, CellSpace, NB101Space

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from count_cells import count  # noqa: E402


def _all_cells(space):
    """Every valid cell of a small space, by brute force over edge sets and ops."""
    for k in range(len(space.pairs) + 1):
        for edges in itertools.combinations(space.pairs, k):
            n_ops = space.nodes if space.ops_on == "nodes" else k
            for ops in itertools.product(space.op_names, repeat=n_ops):
                cell = Cell(edges, ops)
                if space.is_valid(cell):
                    yield cell


def _same(a, b):
    return a["op"] == b["op"]


@pytest.mark.parametrize(
    "space",
    [
        CellSpace(("a", "b"), 2, ops_on="nodes", max_edges=5),
        CellSpace(tuple(NB101_OPS), 2, ops_on="nodes"),
        CellSpace(("a", "b"), 2, ops_on="edges", max_edges=4),
    ],
    ids=["nodes-2ops", "nb101-ops-2nodes", "edges"],
)
def test_keys_are_exactly_the_isomorphism_classes_of_a_small_space(space):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_key = {}
        for cell in _all_cells(space):
            by_key.setdefault(space.key(cell), []).append(space.graph(cell))
        reps = [graphs[0] for graphs in by_key.values()]
        for graphs in by_key.values():  # one key: one network
            assert all(nx.is_isomorphic(graphs[0], g, node_match=_same) for g in graphs[1:])
        for a, b in itertools.combinations(reps, 2):  # two keys: two networks
            assert not nx.is_isomorphic(a, b, node_match=_same)
    assert len(by_key) > 10


def _exact_classes(space):
    """The number of labelled cells up to isomorphism, by the least relabelling of the inner nodes."""
    forms = set()
    for cell in _all_cells(space):
        g = space.graph(cell)
        inner = [v for v in g if v not in ("input", "output")]
        best = None
        for perm in itertools.permutations(range(len(inner))):
            name = {"input": -1, "output": 99, **dict(zip(inner, perm, strict=True))}
            form = (
                tuple(sorted((name[u], name[v]) for u, v in g.edges)),
                tuple(op for _, op in sorted((name[v], g.nodes[v]["op"]) for v in inner)),
            )
            best = form if best is None or form < best else best
        forms.add(best)
    return len(forms)


def test_the_nb101_count_script_agrees_with_brute_force_on_a_sub_space():
    """NAS-Bench-101's family with 3 inner nodes (5 vertices), at most 9 edges, its 3 ops: the script's
    count (shapes x labellings, by key) equals the brute-force count of isomorphism classes. The full
    space (5 inner nodes) gives the published 423,624: docs/benchmarks.md, scripts/count_cells.py."""
    space = CellSpace(tuple(NB101_OPS), 3, max_edges=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert count(space) == _exact_classes(space) == 2532


def test_isomorphic_cells_share_a_key_and_dead_parts_do_not_count():
    space = NB101Space()
    a = space.from_string("0-1,0-2,1-3,2-3,3-6|conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,maxpool3x3,maxpool3x3")
    swapped = space.from_string("0-1,0-2,1-3,2-3,3-6|maxpool3x3,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,maxpool3x3")
    dead = space.from_string(
        "0-1,0-2,1-3,2-3,3-6,4-5|conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,conv3x3-bn-relu,maxpool3x3"
    )
    other = space.from_string(
        "0-1,0-2,1-3,2-3,3-6|conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,maxpool3x3"
    )
    assert space.key(a) == space.key(swapped) == space.key(dead) != space.key(other)
    assert len(space.unique([a, swapped, dead, other])) == 2


def test_validity_edge_limit_and_one_edit_neighbours():
    space = NB101Space()
    assert not space.is_valid(Cell(((0, 1), (1, 2)), ("maxpool3x3",) * 5))  # the output is cut off
    ten = tuple(p for p in space.pairs if p[0] == 0 or p[1] == 6)[:10]
    assert len(ten) == 10 and not space.is_valid(Cell(ten, ("maxpool3x3",) * 5))
    rng = np.random.default_rng(0)
    for _ in range(20):
        cell = space.sample(rng)
        assert space.is_valid(cell) and len(cell.edges) <= 9
        params = space.to_params(cell)
        for n in space.neighbors(cell):
            changed = [k for k, v in space.to_params(n).items() if v != params[k]]
            assert len(changed) == 1 and space.key(n) != space.key(cell)


@pytest.mark.parametrize("text", ["0-7|a", "1-0|" + ",".join(["conv3x3-bn-relu"] * 5), "0-6|conv3x3-bn-relu", "x"])
def test_malformed_ids_are_named(text):
    with pytest.raises(ValueError, match="cell id|edges must|need 5 ops"):
        NB101Space().from_string(text)


def test_bad_declarations_say_what_is_wrong():
    with pytest.raises(ValueError, match="distinct names"):
        CellSpace(("conv", "conv"), 3)
    with pytest.raises(ValueError, match="nodes >= 1"):
        CellSpace(("conv",), 0)
    with pytest.raises(ValueError, match="op names only"):
        CellSpace(("conv",), 2).build(Cell(((0, 1), (1, 3)), ("conv", "conv")), 4)


@pytest.mark.parametrize("ops_on", ["nodes", "edges"])
def test_a_cell_builds_the_network_of_its_live_part(ops_on):
    ops = {"conv": lambda c: torch.nn.Conv2d(c, c, 3, padding=1), "pool": lambda c: torch.nn.MaxPool2d(3, 1, 1)}
    space = CellSpace(ops, 3, ops_on=ops_on)
    if ops_on == "nodes":
        cell = Cell(((0, 1), (1, 4), (2, 3)), ("conv", "pool", "conv"))  # nodes 2, 3 dead
    else:
        cell = Cell(((0, 1), (1, 4), (2, 3)), ("conv", "pool", "conv"))  # edge 2-3 dead
    module = space.build(cell, 4)
    assert len(module.ops) == (1 if ops_on == "nodes" else 2)
    x = torch.randn(2, 4, 8, 8)
    assert module(x).shape == x.shape
    net = StackedNetwork(lambda c: space.build(cell, c), in_channels=1, n_classes=3, channels=4, n_cells=2)
    assert net(torch.randn(2, 1, 12, 12)).shape == (2, 3)
