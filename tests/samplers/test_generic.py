"""BananasSampler() without a space: the params an objective suggests, searched with the model."""

import warnings

import numpy as np
import optuna
import pytest

from bananas.samplers import BananasSampler, EvolutionSampler

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 0, 20)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return -((x - 1.5) ** 2) - 0.1 * (y - 13) ** 2 + {"a": 0.0, "b": 3.0, "c": 1.0}[kind]


def _best(sampler, n=40):
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_objective, n_trials=n)
    return study


def test_after_the_start_it_proposes_from_the_model_and_beats_random_search():
    ours, theirs = [], []
    for seed in range(3):
        study = _best(BananasSampler(seed=seed, n_startup_trials=10, batch_size=5))
        modelled = [t for t in study.trials if "pred_mean" in t.user_attrs]
        assert len(modelled) == 30  # every trial after the start is the model's pick
        ours.append(study.best_value)
        theirs.append(_best(optuna.samplers.RandomSampler(seed=seed)).best_value)
    assert np.mean(ours) > np.mean(theirs)


def test_same_seed_same_search():
    first = [t.params for t in _best(BananasSampler(seed=3, n_startup_trials=5, batch_size=5), 15).trials]
    second = [t.params for t in _best(BananasSampler(seed=3, n_startup_trials=5, batch_size=5), 15).trials]
    assert first == second


def test_params_outside_the_inferred_space_are_sampled_at_random_and_said_once():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2:
            trial.suggest_float("extra", 0, 1)  # not in every trial: outside the intersection
        return x

    study = optuna.create_study(sampler=BananasSampler(seed=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(objective, n_trials=6)
    said = [w for w in caught if "at random" in str(w.message)]
    assert len(said) == 1 and "'extra'" in str(said[0].message)


def test_a_multi_objective_study_gets_model_picks_and_only_evolution_warns():
    def objective(t):
        x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
        return x + y, x * y

    study = optuna.create_study(directions=["maximize", "minimize"], sampler=BananasSampler(seed=0, batch_size=5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no warning from BANANAS
        study.optimize(objective, n_trials=16)
    assert sum("acq_value" in t.user_attrs for t in study.trials) == 6  # after the 10 random ones
    evolution = optuna.create_study(directions=["maximize", "minimize"], sampler=EvolutionSampler(seed=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evolution.optimize(objective, n_trials=3)
    assert {str(w.message) for w in caught} == {
        "EvolutionSampler supports single-objective studies only; sampling at random"
    }


def test_a_bad_option_fails_at_construction():
    with pytest.raises(ValueError):
        BananasSampler(predictor="nope")
