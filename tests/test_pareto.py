"""Pareto sets, hypervolume, and multi-objective BANANAS against random search on a table."""

import itertools
import warnings

import numpy as np
import optuna
import torch

from bananas.pareto import JointPredictor, hypervolume, non_dominated, pareto_order, select_hypervolume
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


def test_the_hypervolume_pick_extends_the_front_and_respects_pending():
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    Y = np.column_stack([X[:, 0], 1 - X[:, 0] ** 2 + 0.3 * X[:, 1]])  # both up
    torch.manual_seed(0)
    model = JointPredictor(lambda j: get_predictor("mlp", seed=j, n_members=5), 2).fit(X[:30], Y[:30])
    front = X[:30][non_dominated(Y[:30])]
    pool = X[30:]
    sel = select_hypervolume(model, pool, 3, Y_observed=Y[:30], X_front=front)
    assert len(set(sel.indices.tolist())) == 3 and np.all(np.isfinite(sel.value))
    again = select_hypervolume(model, pool, 1, Y_observed=Y[:30], X_front=front, X_pending=pool[sel.indices[:1]])
    assert again.indices[0] != sel.indices[0]  # a pending architecture adds nothing: another is picked


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
