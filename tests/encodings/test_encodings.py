import numpy as np
import pytest

from bananas.encodings import ENCODINGS, AdjacencyEncoder, OpCountEncoder, PathEncoder, get_encoder
from bananas.spaces import GraphCell

CHAIN = GraphCell((0, 1, 2, 3), ("gcn", "gat", "sage", "fc"))  # input-gcn-gat-sage-fc-output
FAN = GraphCell((0, 0, 0, 0), ("gcn", "gcn", "gat", "fc"))  # four parallel ops


def _paths(enc: PathEncoder, row: np.ndarray) -> dict[tuple[str, ...], float]:
    names = {i: seq for seq, i in enc._index.items()}
    return {names[i]: row[i] for i in np.flatnonzero(row)}


def test_path_encoding_of_a_chain_is_one_long_path(cora):
    enc = PathEncoder().fit(cora)
    assert enc.n_features == 9 + 81 + 729 + 6561
    assert _paths(enc, enc.transform([CHAIN])[0]) == {("gcn", "gat", "sage", "fc"): 1.0}


def test_path_indicator_and_counts_of_parallel_ops(cora):
    ind = PathEncoder().fit(cora)
    assert _paths(ind, ind.transform([FAN])[0]) == {("gcn",): 1, ("gat",): 1, ("fc",): 1}
    cnt = PathEncoder(counts=True).fit(cora)
    assert _paths(cnt, cnt.transform([FAN])[0]) == {("gcn",): 2, ("gat",): 1, ("fc",): 1}


def test_prefix_paths_count_every_node(cora):
    enc = PathEncoder(counts=True, prefixes=True).fit(cora)
    row = enc.transform([CHAIN])[0]
    half = enc.n_features // 2
    assert row[:half].sum() == 1  # one input->output path
    assert row[half:].sum() == 4  # a path to each of the four nodes


def test_truncated_path_drops_long_paths(cora):
    enc = get_encoder("trunc_path").fit(cora)
    assert enc.n_features == 9 + 81
    assert enc.transform([CHAIN]).sum() == 0
    assert enc.transform([FAN]).sum() == 3


def test_adjacency_of_a_chain(cora):
    enc = AdjacencyEncoder().fit(cora)
    row = enc.transform([CHAIN])[0]
    n_pairs = 6 * 5 // 2
    assert enc.n_features == n_pairs + 4 * 9
    adj = np.zeros((6, 6))
    adj[np.triu_indices(6, k=1)] = row[:n_pairs]
    expected = np.zeros((6, 6))
    for i in range(5):
        expected[i, i + 1] = 1  # input -> 0 -> 1 -> 2 -> 3 -> output
    assert (adj == expected).all()
    ops = row[n_pairs:].reshape(4, 9)
    assert [cora.op_names[j] for j in ops.argmax(1)] == list(CHAIN.ops) and ops.sum() == 4


def test_op_counts_add_up_over_the_cell(cora):
    enc = OpCountEncoder().fit(cora)
    X = enc.transform([FAN, CHAIN])
    assert X.shape == (2, len(cora.op_names))
    counts = {op: list(column) for op, column in zip(cora.op_names, X.T, strict=True) if column.any()}
    assert counts == {"gcn": [2, 1], "gat": [1, 1], "sage": [0, 1], "fc": [1, 1]}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_every_encoding_is_exact_batched_and_canonical(cora, rng, name):
    enc = get_encoder(name).fit(cora)
    archs = [cora.sample(rng) for _ in range(30)]
    X = enc.transform(archs)
    assert X.shape == (30, enc.n_features)
    assert (X == np.round(X)).all() and X.min() >= 0
    one_by_one = np.vstack([enc.transform([a]) for a in archs])
    assert (X == one_by_one).all()
    a = GraphCell((0, 0, 1, 2), ("gcn", "gat", "sage", "fc"))
    b = GraphCell((0, 0, 2, 1), ("gat", "gcn", "sage", "fc"))  # the same network
    assert (enc.transform([a]) == enc.transform([b])).all()


def test_transform_before_fit_and_unknown_name():
    with pytest.raises(RuntimeError, match="fit"):
        PathEncoder().transform([CHAIN])
    with pytest.raises(ValueError, match="adjacency"):
        get_encoder("nope")
