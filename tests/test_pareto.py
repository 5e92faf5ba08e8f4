"""Pareto sets, hypervolume, and multi-objective BANANAS against random search on a table."""

import itertools
import warnings

import numpy as np
import optuna
import pytest
import torch

from bananas.pareto import JointPredictor, baseline_rows, hypervolume, non_dominated, pareto_order, select_joint
from bananas.predictors import get_predictor


def test_non_dominated_and_the_order_front_by_front():
    Y = np.array([[1, 5], [2, 4], [1, 4], [3, 1], [0, 0], [2, 4]])
    assert non_dominated(Y).tolist() == [True, True, False, True, False, True]
    order = pareto_order(Y).tolist()
    assert set(order[:4]) == {0, 1, 3, 5} and order[4:] == [2, 4]
    rng = np.random.default_rng(0)
    Z = rng.random((40, 3))
    brute = [not any((Z[j] >= Z[i]).all() and (Z[j] > Z[i]).any() for j in range(40)) for i in range(40)]
    assert non_dominated(Z).tolist() == brute


def test_hypervolume_of_a_staircase():
    assert hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [0.5, 0.5]]), [0.0, 0.0]) == 6.0
    assert hypervolume(np.array([[-1.0, 2.0]]), [0.0, 0.0]) == 0.0  # nothing above the reference point


class _Rows:
    """An encoder of toy architectures that are their own feature rows."""

    def transform(self, archs):
        return np.asarray(archs, dtype=np.float64).reshape(len(archs), -1)


def _joint(X, Y, exact=None):
    make = lambda j: get_predictor("mlp", seed=j, n_members=5)  # noqa: E731
    return JointPredictor(_Rows().transform, make, Y.shape[1], exact or {}).fit(X, Y)


def test_the_hypervolume_pick_extends_the_front_and_respects_pending():
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    Y = np.column_stack([X[:, 0], 1 - X[:, 0] ** 2 + 0.3 * X[:, 1]])  # both up
    torch.manual_seed(0)
    model = _joint(X[:30], Y[:30])
    front = list(X[:30][baseline_rows(Y[:30], 2)])
    pool = list(X[30:])
    hv = dict(Y=Y[:30], m=2, baseline=front, acquisition="nehvi")
    sel = select_joint(model, pool, X[30:], 3, **hv)
    assert len(set(sel.indices.tolist())) == 3 and np.all(np.isfinite(sel.value))
    again = select_joint(model, pool, X[30:], 1, **hv, pending=[pool[sel.indices[0]]])
    assert again.indices[0] != sel.indices[0]  # a pending architecture adds nothing: another is picked


def test_nehvi_credits_a_front_end_beyond_the_observed_pareto_set():
    """The reference point lies below the worst *observed* value of each objective, not below the Pareto
    set's worst: a more accurate architecture that costs more than the whole front still improves it."""
    X = np.array([[0.0], [0.1], [0.2], [1.0], [0.9]])  # the observed ones: a narrow front and two poor ones
    Y = np.array([[0.50, -0.20], [0.52, -0.21], [0.54, -0.22], [0.10, -1.0], [0.05, -0.9]])
    pool = [np.array([2.0]), np.array([3.0])]  # the first: most accurate, costly (still below the worst)
    exact = {1: lambda a: {2.0: -0.6, 3.0: -0.95}.get(float(a[0]), 0.0)}

    class Fixed:  # a predictor that knows the accuracies
        def fit(self, X, y):
            return self

        def predict(self, X):
            table = {0.0: 0.50, 0.1: 0.52, 0.2: 0.54, 1.0: 0.10, 0.9: 0.05, 2.0: 0.80, 3.0: 0.30}
            return np.tile([table[round(float(x), 1)] for x in X[:, 0]], (4, 1)) + np.linspace(0, 1e-3, 4)[:, None]

    model = JointPredictor(_Rows().transform, lambda j: Fixed(), 2, exact).fit(X, Y)
    front = list(X[baseline_rows(Y, 2)])
    sel = select_joint(model, pool, np.vstack(pool), 1, Y=Y, m=2, baseline=front, acquisition="nehvi")
    assert sel.indices.tolist() == [0] and sel.value[0] > -10  # credited: a log improvement far from -inf


def test_parego_picks_by_a_random_scalarization_and_bad_names_are_refused():
    from bananas.samplers import BananasSampler

    rng = np.random.default_rng(3)
    X = rng.random((50, 2))
    Y = np.column_stack([X[:, 0], 1 - X[:, 0] ** 2])
    model = _joint(X[:30], Y[:30])
    front = list(X[:30][baseline_rows(Y[:30], 2)])
    sel = select_joint(model, list(X[30:]), X[30:], 2, Y=Y[:30], m=2, baseline=front, acquisition="parego", rng=rng)
    assert len(set(sel.indices.tolist())) == 2 and np.all(np.isfinite(sel.value))
    with pytest.raises(ValueError, match="choose nehvi or parego"):
        select_joint(model, list(X[30:]), X[30:], 1, Y=Y[:30], m=2, baseline=front, acquisition="ehvi")
    with pytest.raises(ValueError, match="mo_acquisition must be one of nehvi, parego"):
        BananasSampler(mo_acquisition="ehvi")


@pytest.mark.parametrize("acquisition", ["nehvi", "parego"])
def test_with_nothing_feasible_yet_a_large_infeasible_front_still_gets_a_pick(acquisition):
    rng = np.random.default_rng(4)
    X = rng.random((40, 2))
    Y = np.column_stack([X[:20, 0], 1 - X[:20, 0], 1.0 + X[:20, 1]])  # 20 non-dominated points, all infeasible
    model = _joint(X[:20], Y)
    front = list(X[:20][baseline_rows(Y, 2)])
    assert len(front) == 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch: "all training points are infeasible"
        sel = select_joint(model, list(X[20:]), X[20:], 1, Y=Y, m=2, baseline=front, acquisition=acquisition, rng=rng)
    assert 0 <= sel.indices[0] < 20


def test_outcomes_the_space_knows_are_computed_not_predicted():
    rng = np.random.default_rng(1)
    X = rng.random((20, 3))
    Y = np.column_stack([X.sum(axis=1), -X[:, 0]])
    model = _joint(X, Y, exact={1: lambda a: -a[0]})
    assert list(model.members) == [(0,)]  # no predictor is fit for the known outcome
    members = model.predict(list(X[:4]))
    assert members.shape == (5, 4, 2)
    assert np.array_equal(members[:, :, 1], np.tile(-X[:4, 0], (5, 1)))  # every member: the exact value


def test_a_constrained_pick_prefers_candidates_predicted_feasible():
    rng = np.random.default_rng(2)
    X = rng.random((80, 2))
    value = X[:, 0]  # up
    violation = X[:, 0] + X[:, 1] - 1.0  # feasible below the anti-diagonal
    Y = np.column_stack([value, violation])
    torch.manual_seed(0)
    model = _joint(X[:40], Y[:40], exact={1: lambda a: a[0] + a[1] - 1.0})
    pool = list(X[40:])
    (pick,) = select_joint(model, pool, X[40:], 1, Y=Y[:40], m=1, baseline=[]).indices
    feasible = X[40:][X[40:].sum(axis=1) <= 1.0]
    assert X[40 + pick].sum() <= 1.0  # a known violation: never picked
    assert X[40 + pick, 0] >= np.quantile(feasible[:, 0], 0.8)  # and among the feasible, a high value


def test_multi_objective_bananas_finds_more_of_a_tables_front_than_random_search(cora):
    from bananas.samplers import BananasSampler, RandomSearchSampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    archs = {cora.key(a): a for a in (cora.sample(np.random.default_rng(s)) for s in range(3000))}
    rows = np.array([[m["valid_acc"], -m["latency"]] for m in map(cora.lookup, archs.values())])
    low, high = rows.min(axis=0), rows.max(axis=0)
    true = hypervolume((rows - low) / (high - low), [0.0, 0.0])

    def regret(sampler):
        study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
        study.optimize(lambda t: (lambda m: (m["valid_acc"], m["latency"]))(cora.lookup(cora.suggest(t))), 40)
        found = np.array([[t.values[0], -t.values[1]] for t in study.trials])
        return true - hypervolume((found - low) / (high - low), [0.0, 0.0])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [regret(BananasSampler(space=cora, seed=s)) for s in range(3)]
        theirs = [regret(RandomSearchSampler(space=cora, seed=s)) for s in range(3)]
    assert np.mean(ours) < np.mean(theirs)
    assert all(a != b for a, b in itertools.combinations(ours, 2))  # seeds give different searches
