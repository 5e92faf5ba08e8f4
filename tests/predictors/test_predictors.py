import numpy as np
import pytest

from bananas.predictors import GPPredictor, MLPEnsemble, get_predictor, rank_correlations


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 12)).astype(float)
    y = X @ rng.normal(size=12) + 0.5 * X[:, 0] * X[:, 1]
    return X, y


@pytest.mark.parametrize("make", [lambda: MLPEnsemble(seed=0, epochs=60), lambda: GPPredictor(seed=0, iters=50)])
def test_predictors_learn_a_ranking(make):
    X, y = _data(300)
    model = make().fit(X[:100], y[:100])
    pred = model.predict(X[100:])
    assert pred.ndim == 2 and pred.shape[1] == 200 and pred.shape[0] > 1
    assert rank_correlations(y[100:], pred.mean(0))["kendall_tau"] > 0.6


def test_gp_draws_are_seeded_and_leave_the_global_generator_alone():
    import torch

    X, y = _data(1040)  # a pool as large as the search's (past gpytorch's 800-row Cholesky limit)
    model = GPPredictor(seed=3, iters=20).fit(X[:40], y[:40])
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    first = model.predict(X[40:])
    assert torch.equal(torch.rand(3), expected)  # predicting drew nothing from torch's global generator
    assert first.shape == (32, 1000) and first.std(axis=0).min() > 0
    assert np.array_equal(model.predict(X[40:]), first)


def test_ensemble_is_seeded_and_members_differ():
    X, y = _data(80)
    a = MLPEnsemble(seed=3, epochs=20).fit(X, y).predict(X)
    b = MLPEnsemble(seed=3, epochs=20).fit(X, y).predict(X)
    c = MLPEnsemble(seed=4, epochs=20).fit(X, y).predict(X)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (10, 80) and a.std(axis=0).mean() > 0


@pytest.mark.parametrize(
    ("n", "batches"),
    [
        (10, [10] * 4),  # few observations: every epoch, in one batch each
        (100, [32, 32, 32, 4] * 2 + [32, 32]),  # the steps run out in the third epoch
        (2000, [400] * 10),  # many: batches grow so that min_epochs passes fit in the steps
    ],
)
def test_ensemble_fit_makes_at_most_steps_updates_and_at_least_min_epochs_passes(n, batches):
    X, y = _data(n)
    model = MLPEnsemble(seed=0, epochs=4, steps=10, min_epochs=2)
    sizes = []
    forward = model._forward
    model._forward = lambda h: sizes.append(h.shape[1]) or forward(h)
    model.fit(X, y)
    assert sizes == batches


def test_ensemble_ignores_columns_constant_in_training():
    X, y = _data(60)
    wide = np.hstack([X, np.zeros((60, 500))])
    model = MLPEnsemble(seed=0, epochs=20).fit(wide, y)
    assert len(model._keep) <= 12
    probe = wide.copy()
    probe[:, 12:] = 1.0  # unseen columns switched on change nothing
    assert np.allclose(model.predict(wide), model.predict(probe))


def test_predict_before_fit_and_unknown_name():
    with pytest.raises(RuntimeError, match="fit"):
        MLPEnsemble().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="mlp"):
        get_predictor("forest")
