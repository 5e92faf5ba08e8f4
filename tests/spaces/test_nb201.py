import itertools

import networkx as nx
import numpy as np
import pytest

from bananas.encodings import AdjacencyEncoder, PathEncoder, get_encoder
from bananas.spaces import NB201Space, NB201TableSpace, get_space, get_tabular_space
from bananas.spaces.nb201 import OPS, from_string, to_string

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
# conv3 0->1, conv1 1->3 and skip 0->3; every other edge none: output = conv1(conv3(x)) + x
RESNETISH = ("nor_conv_3x3", "none", "none", "skip_connect", "nor_conv_1x1", "none")


@pytest.fixture(scope="module")
def nb201() -> NB201TableSpace:
    return get_tabular_space("nb201", "cifar10")


def test_strings_read_and_write(nb201):
    ops = from_string(BEST)
    assert ops == ("nor_conv_3x3", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "nor_conv_3x3", "skip_connect")
    assert to_string(ops) == BEST and nb201.from_params(nb201.to_params(ops)) == ops
    for bad, why in [
        ("|nor_conv_3x3~0|", "3 nodes"),
        (BEST.replace("~1|+", "~0|+"), "expected"),
        ("|x~0|+|a~0|b~1|+|c~0|d~1|e~2|", "unknown"),
    ]:
        with pytest.raises(ValueError, match=why):
            from_string(bad)


def test_edges_cut_off_by_none_do_not_change_the_architecture(nb201):
    # the dead edges: 0->2 and 1->2 feed node 2, which reaches the output only through 2->3 = none
    dead = ("nor_conv_3x3", "avg_pool_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none")
    assert nb201.key(dead) == nb201.key(RESNETISH)
    simplest = nb201.canonical(dead)
    assert simplest == nb201.canonical(RESNETISH) and sum(op != "none" for op in simplest) == 3
    # ... but the same ops with 2->3 live are another network
    assert nb201.key(dead[:5] + ("skip_connect",)) != nb201.key(RESNETISH)


def test_a_skip_chain_computes_what_the_direct_edge_does(nb201):
    direct = ("none", "none", "none", "nor_conv_3x3", "none", "none")  # conv3(x)
    chained = ("skip_connect", "none", "none", "none", "nor_conv_3x3", "none")  # conv3(skip(x))
    assert nb201.key(direct) == nb201.key(chained)
    assert nb201.key(("nor_conv_3x3", "none", "none", "none", "skip_connect", "none")) == nb201.key(direct)


def test_relabelling_the_inner_nodes_is_one_architecture(nb201):
    # Nodes 1 and 2 swap when there is no 1->2 edge: edges (0->1, 1->3) trade with (0->2, 2->3).
    a = ("nor_conv_3x3", "avg_pool_3x3", "none", "none", "nor_conv_1x1", "skip_connect")
    b = ("avg_pool_3x3", "nor_conv_3x3", "none", "none", "skip_connect", "nor_conv_1x1")
    assert nb201.key(a) == nb201.key(b)
    assert nx.is_isomorphic(nb201.graph(a), nb201.graph(b), node_match=lambda x, y: x["op"] == y["op"])


def test_functions_are_counted_against_nb201s_own_count(nb201):
    keys = {nb201.key(ops) for ops in itertools.product(OPS, repeat=6)}
    # NB-201's to_unique_str(consider_zero=True) says 6,466: it keeps a placeholder per zero input
    assert len(keys) == 4930 == len(nb201.all_keys())
    # every pair of strings with one key has isomorphic op-labelled graphs of their live edges
    rng = np.random.default_rng(0)
    by_key = {}
    for ops in itertools.product(OPS, repeat=6):
        by_key.setdefault(nb201.key(ops), []).append(ops)
    for members in [m for m in by_key.values() if len(m) > 1][::50]:
        a, b = (members[i] for i in rng.choice(len(members), 2, replace=False))
        assert nx.is_isomorphic(nb201.graph(a), nb201.graph(b), node_match=lambda x, y: x["op"] == y["op"])


def test_neighbors_are_other_functions_one_edit_away(nb201):
    ops = from_string(BEST)
    nbrs = nb201.neighbors(ops)
    keys = [nb201.key(n) for n in nbrs]
    assert len(set(keys)) == len(keys) and nb201.key(ops) not in keys
    assert all(sum(x != y for x, y in zip(n, ops, strict=True)) == 1 for n in nbrs)


def test_the_shipped_tables_load_with_their_best(nb201):
    assert nb201.best()["valid_acc"] == pytest.approx(91.6067, abs=1e-3)
    assert get_tabular_space("nb201", "cifar100").best()["test_acc"] == pytest.approx(73.5133, abs=1e-3)
    assert 90 < nb201.lookup(from_string(BEST))["valid_acc"] < 92


def test_a_table_of_ones_own_is_read_and_bad_ones_named(tmp_path):
    good = tmp_path / "mine.csv"
    good.write_text(f"arch str,validation accuracy,test accuracy\n{BEST},50.0,49.0\n{to_string(RESNETISH)},60,59\n")
    space = get_tabular_space("nb201", "imagenet16", table=str(good))
    assert space.best() == {"valid_acc": 60.0, "test_acc": 59.0} and space.describe()["table"] == str(good)
    with pytest.raises(KeyError, match="no row"):
        space.lookup(("none",) * 5 + ("nor_conv_3x3",))
    bad = tmp_path / "bad.csv"
    bad.write_text("arch str,validation accuracy\n")
    with pytest.raises(ValueError, match="lacks the columns.*test accuracy"):
        get_tabular_space("nb201", "x", table=str(bad))
    bad.write_text(f"arch str,validation accuracy,test accuracy\n{BEST},50,49\n|none~0|,1,1\n")
    with pytest.raises(ValueError, match="line 3"):
        get_tabular_space("nb201", "y", table=str(bad))
    with pytest.raises(ValueError, match="--table"):
        get_tabular_space("nb201", "imagenet16")
    assert type(get_space("nb201", "digits")) is NB201Space


def test_path_encoding_of_hand_worked_cells(nb201):
    enc = PathEncoder().fit(nb201)
    assert enc.n_features == 4 + 16 + 64  # paths of 1..3 ops over the four ops that are edges
    names = {i: seq for seq, i in enc._index.items()}
    paths = {names[i] for i in np.flatnonzero(enc.transform([RESNETISH])[0])}
    assert paths == {("nor_conv_3x3", "nor_conv_1x1"), ("skip_connect",)}
    # the skip chain folds into the direct edge: one path of one op
    paths = {
        names[i]
        for i in np.flatnonzero(enc.transform([("skip_connect", "none", "none", "none", "nor_conv_3x3", "none")])[0])
    }
    assert paths == {("nor_conv_3x3",)}
    assert get_encoder("trunc_path").fit(nb201).n_features == 4 + 16


def test_adjacency_encoding_leaves_unused_edges_empty(nb201):
    enc = AdjacencyEncoder().fit(nb201)
    row = enc.transform([RESNETISH])[0]
    # edges: input->e0, e0->e4, e4->output, input->e3, e3->output; one op one-hot each for e0, e3, e4
    assert enc.n_features == 28 + 6 * 4 and row[:28].sum() == 5 and row[28:].sum() == 3
    assert enc.transform([("none",) * 6]).sum() == 0  # a cell that computes nothing


def test_parameters_and_flops_are_known_without_building_the_network():
    from bananas.nets import Network, count_flops, network_costs

    rng = np.random.default_rng(0)
    table = get_space("nb201", "cifar100")
    for _ in range(4):
        ops = tuple(str(o) for o in rng.choice(OPS, size=6))
        net = Network(ops, in_channels=3, n_classes=100)
        counted = (sum(p.numel() for p in net.parameters()), count_flops(net, (3, 32, 32)))
        assert network_costs(ops, 100) == counted
        assert table.known_metrics(ops) == {"params_m": counted[0] / 1e6, "flops_m": counted[1] / 1e6}
    assert set(table.known_metric_names) <= set(table.lookup(ops))


def test_the_table_lists_every_architecture_once(nb201):
    listed = nb201.all_archs()
    assert len(listed) == len(nb201.all_keys()) == 4930 and set(listed) == set(nb201.all_keys())
    assert all(nb201.key(arch) == key for key, arch in listed.items())
    assert nb201.all_archs() is listed  # listed once per process
