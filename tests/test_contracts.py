"""The contracts of the seams, run against every implementation the library registers.

A new space (``bananas.spaces.SPACES`` with a default dataset), encoding
(``bananas.encodings.ENCODINGS``), predictor (``bananas.predictors.PREDICTORS``)
or acquisition (``bananas.acquisition.ACQUISITIONS``) is tested by registering it.
"""

import networkx as nx
import numpy as np
import optuna
import pytest

from bananas.acquisition import ACQUISITIONS, get_acquisition
from bananas.encodings import ENCODINGS, OpCountEncoder, get_encoder
from bananas.predictors import PREDICTORS, get_predictor, rank_correlations
from bananas.spaces import DEFAULT_DATASETS, SPACES, TabularSpace, get_space


def _declared(name):
    """Spaces a user declares, beside the registered ones: a cell with ops on edges, and a cell with
    hyperparameters."""
    from bananas.spaces import CellSpace, NB101Space
    from bananas.spaces.joint import JointSpace

    if name == "cell-edges":
        return CellSpace(("conv", "pool", "skip"), 3, ops_on="edges", max_edges=8, name="cell-edges")
    lr, width = (
        optuna.distributions.FloatDistribution(1e-3, 0.3, log=True),
        optuna.distributions.IntDistribution(8, 32, step=8),
    )
    return JointSpace(NB101Space(), {"lr": lr, "channels": width})


@pytest.fixture(scope="module", params=[*SPACES, "cell-edges", "joint"])
def space(request):
    if request.param not in SPACES:
        return _declared(request.param)
    assert request.param in DEFAULT_DATASETS, f"space {request.param!r} needs a default dataset"
    return get_space(request.param, DEFAULT_DATASETS[request.param])


@pytest.fixture
def archs(space):
    rng = np.random.default_rng(0)
    return [space.sample(rng) for _ in range(40)]


def test_params_ids_and_keys_round_trip(space, archs):
    dists = space.distributions()
    for arch in archs:
        assert space.is_valid(arch)
        params = space.to_params(arch)
        assert list(params) == list(dists)
        for name, value in params.items():
            assert dists[name]._contains(dists[name].to_internal_repr(value)), (name, value)
        assert space.key(space.from_params(params)) == space.key(arch)
        text = space.to_string(arch)
        assert space.key(space.from_string(text)) == space.key(arch)
        assert space.to_string(space.from_string(text)) == text
    with pytest.raises(ValueError):
        space.from_string("not an architecture")


def test_a_trial_suggests_the_architecture_of_its_params(space, archs):
    study = optuna.create_study(direction="maximize")
    for arch in archs[:5]:
        study.enqueue_trial(space.to_params(arch))
        trial = study.ask()
        assert space.key(space.suggest(trial)) == space.key(arch)
        study.tell(trial, 0.0)


def test_moves_stay_in_the_space(space, archs):
    rng = np.random.default_rng(1)
    stuck = 0  # a cell no one edit changes (NB-101: input -> output at the edge limit, the rest dead)
    for arch in archs[:10]:
        neighbors = space.neighbors(arch)
        stuck += not neighbors
        assert all(space.is_valid(n) and n != arch for n in neighbors)
        assert space.is_valid(space.mutate(arch, rng, edits=2))
    assert stuck <= 1
    keys = {space.key(a) for a in archs}
    unique = space.unique(archs + archs)
    assert len(unique) == len(keys) and not space.unique(archs, exclude=keys)


def test_the_canonical_graph_is_an_op_labelled_dag(space, archs):
    ops = set(space.op_names)
    for arch in archs:
        g = space.graph(arch)
        assert nx.is_directed_acyclic_graph(g)
        assert g.nodes["input"]["op"] == "input" and g.nodes["output"]["op"] == "output"
        inner = [n for n in g.nodes if n not in ("input", "output")]
        assert all(0 <= n < space.n_nodes and g.nodes[n]["op"] in ops for n in inner)
        assert all(len(p) - 2 <= space.max_path_length for p in nx.all_simple_paths(g, "input", "output"))


TABULAR = [n for n in SPACES if isinstance(get_space(n, DEFAULT_DATASETS[n]), TabularSpace)]


@pytest.mark.parametrize("name", TABULAR)
def test_tables_answer_for_every_sampled_architecture(name):
    space = get_space(name, DEFAULT_DATASETS[name])
    rng = np.random.default_rng(2)
    archs = [space.sample(rng) for _ in range(40)]
    best = space.best()
    keys = set(space.all_keys())
    for arch in archs:
        metrics = space.lookup(arch)
        assert 0 <= metrics["valid_acc"] <= best["valid_acc"] <= 100
        assert space.key(arch) in keys


@pytest.mark.parametrize("name", [*ENCODINGS, "op counts"])  # op counts: the step's inputs with several outcomes
def test_encodings_are_exact_batched_and_canonical(space, archs, name):
    enc = (OpCountEncoder() if name == "op counts" else get_encoder(name)).fit(space)
    X = enc.transform(archs)
    assert X.shape == (len(archs), enc.n_features)
    assert (X == np.round(X)).all() and X.min() >= 0
    assert (X == np.vstack([enc.transform([a]) for a in archs])).all()
    again = enc.transform([space.from_string(space.to_string(a)) for a in archs])
    assert (X == again).all()


def _ranking_data(n: int = 160, d: int = 10):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(n, d)).astype(float)
    return X, X @ rng.normal(size=d)


@pytest.mark.parametrize("name", list(PREDICTORS))
def test_predictors_rank_are_seeded_and_spread(name):
    X, y = _ranking_data()
    small = {"mlp": {"epochs": 40}, "gp": {"iters": 30}}.get(name, {})
    with pytest.raises(RuntimeError, match="fit"):
        get_predictor(name, seed=0, **small).predict(X)
    a = get_predictor(name, seed=0, **small).fit(X[:60], y[:60]).predict(X[60:])
    b = get_predictor(name, seed=0, **small).fit(X[:60], y[:60]).predict(X[60:])
    assert a.ndim == 2 and a.shape[1] == 100 and a.shape[0] > 1
    assert np.array_equal(a, b) and a.std(axis=0).mean() > 0
    assert rank_correlations(y[60:], a.mean(axis=0))["kendall_tau"] > 0.5


@pytest.mark.parametrize("name", list(ACQUISITIONS))
def test_acquisitions_pick_distinct_rows_of_the_pool(name):
    X, y = _ranking_data()
    acquisition = get_acquisition(name)
    model = get_predictor("mlp", seed=0).fit(X[:40], y[:40]) if acquisition.uses_model else None
    rng = np.random.default_rng(0)
    sel = acquisition.select(model, X[40:], 8, best_f=float(y[:40].max()), X_pending=X[:2], rng=rng)
    assert len(set(sel.indices.tolist())) == 8 and ((0 <= sel.indices) & (sel.indices < 120)).all()
    assert len(sel.mean) == len(sel.std) == len(sel.value) == 8
    if acquisition.uses_model:  # the model's first pick beats most of the pool it comes from
        (first,) = acquisition.select(model, X[40:], 1, best_f=float(y[:40].max()), X_pending=None, rng=rng).indices
        assert (y[40:] < y[40:][first]).mean() > 0.75
