"""One test run against every search method, as Optuna's sampler tests do."""

import warnings

import numpy as np
import optuna
import pytest

from bananas import BananasSampler
from bananas.evaluators import TabularEvaluator
from bananas.methods import TABLE_METHODS
from bananas.search import run_search

FAST_BANANAS = {
    "batch_size": 5,
    "n_startup_trials": 5,
    "predictor_options": {"steps": 30},
    "pool_kwargs": {"n_parents": 3, "n_mutations": 10, "n_random": 20},
}


@pytest.mark.parametrize("method", TABLE_METHODS)
def test_every_method_records_a_full_search(cora, method):
    options = FAST_BANANAS if method in ("bananas", "pool-random") else {}
    study = run_search(cora, TabularEvaluator(cora), method=method, budget=20, seed=1, sampler_options=options)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 20
    for t in done:
        arch = cora.from_string(t.user_attrs["arch"])
        assert cora.from_params(t.params) == arch
        assert t.value == pytest.approx(cora.lookup(arch)["valid_acc"])
        assert t.user_attrs["test_acc"] == pytest.approx(cora.lookup(arch)["test_acc"])
    if method not in ("tpe", "gp", "nsga2"):  # Optuna's samplers may repeat; ours never do
        keys = [cora.key(cora.from_params(t.params)) for t in done]
        assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("method", ["bananas", "random", "re"])
def test_same_seed_same_search(cora, method):
    options = FAST_BANANAS if method == "bananas" else {}
    runs = [
        [
            t.user_attrs["arch"]
            for t in run_search(
                cora, TabularEvaluator(cora), method=method, budget=15, seed=7, sampler_options=options
            ).trials
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_bananas_records_model_attrs(cora):
    study = run_search(cora, TabularEvaluator(cora), budget=15, seed=0, sampler_options=FAST_BANANAS)
    model_trials = [t for t in study.trials if t.user_attrs["iteration"] > 0]
    assert len(model_trials) == 10
    assert {"pred_mean", "pred_std", "acq_value"} <= set(model_trials[0].user_attrs)
    assert sum("bo_seconds" in t.user_attrs for t in model_trials) == 2


def test_sampler_in_a_plain_study_with_threads_gives_no_duplicates(cora):
    sampler = BananasSampler(space=cora, seed=0, **FAST_BANANAS)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    evaluator = TabularEvaluator(cora)
    study.optimize(lambda t: evaluator.evaluate(cora.suggest(t)).metrics["valid_acc"], n_trials=24, n_jobs=4)
    keys = [cora.key(cora.from_params(t.params)) for t in study.trials]
    assert len(keys) == 24 and len(set(keys)) == 24


def test_model_picks_beat_the_pool_they_come_from(cora):
    """Predictor + EI on real data: the picked batch is better than the pool it was picked from."""
    from bananas.acquisition import select
    from bananas.encodings import get_encoder
    from bananas.pool import candidate_pool
    from bananas.predictors import MLPEnsemble

    gains = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        archs = cora.unique(cora.sample(rng) for _ in range(80))[:60]
        y = np.array([cora.lookup(a)["valid_acc"] for a in archs])
        enc = get_encoder("adjacency").fit(cora)
        best_first = [archs[i] for i in np.argsort(-y)]
        pool = candidate_pool(cora, best_first, {cora.key(a) for a in archs}, rng)
        model = MLPEnsemble(seed=seed).fit(enc.transform(archs), y)
        sel = select(model, enc.transform(pool), 10, best_f=y.max(), rng=rng)
        truth = np.array([cora.lookup(a)["valid_acc"] for a in pool])
        gains.append(truth[sel.indices].mean() - truth.mean())
    assert np.mean(gains) > 0.3


def test_multi_objective_studies_are_searched_by_bananas_and_only_evolution_warns(cora):
    from bananas.samplers import EvolutionSampler

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        metrics = cora.lookup(cora.suggest(trial))
        return metrics["valid_acc"], metrics["latency"]

    study = optuna.create_study(directions=["maximize", "minimize"], sampler=BananasSampler(space=cora, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        study.optimize(objective, n_trials=12)
    assert [t.user_attrs["iteration"] for t in study.trials] == [0] * 10 + [1, 1]
    evolution = optuna.create_study(directions=["maximize", "minimize"], sampler=EvolutionSampler(space=cora, seed=0))
    with pytest.warns(UserWarning, match="single-objective"):
        evolution.optimize(objective, n_trials=3)
    assert len(evolution.trials) == 3


def test_optuna_samplers_stuck_on_an_invalid_cell_still_finish(cora):
    """GPSampler re-proposes an invalid point forever (it ignores FAIL trials); the wrapper replaces it."""
    from bananas.samplers import ValidProposals

    class AllSkip(optuna.samplers.RandomSampler):
        def infer_relative_search_space(self, study, trial):
            return cora.distributions()

        def sample_relative(self, study, trial, search_space):
            return cora.to_params(cora.from_string("0-0-0-0|skip-skip-skip-skip")) if search_space else {}

    study = optuna.create_study(direction="maximize", sampler=ValidProposals(AllSkip(seed=0), cora, seed=0))
    evaluator = TabularEvaluator(cora)
    study.optimize(lambda t: evaluator.evaluate(cora.suggest(t)).metrics["valid_acc"], n_trials=5)
    assert all(t.state == optuna.trial.TrialState.COMPLETE and t.user_attrs["replaced_invalid"] for t in study.trials)


def test_bananas_fits_again_once_other_workers_completed_a_batch(cora):
    sampler = BananasSampler(space=cora, seed=0, n_startup_trials=4, batch_size=4)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    evaluator = TabularEvaluator(cora)

    def evaluate(trial):
        return evaluator.evaluate(cora.suggest(trial)).metrics["valid_acc"]

    study.optimize(evaluate, n_trials=5)  # 4 random, then a plan of 4 with one handed out
    assert "bo_seconds" in study.trials[4].user_attrs
    study.optimize(evaluate, n_trials=1)  # the plan goes on: no fit
    assert "bo_seconds" not in study.trials[5].user_attrs
    rng = np.random.default_rng(1)
    for _ in range(4):  # another worker's results arrive
        arch = cora.sample(rng)
        study.add_trial(
            optuna.trial.create_trial(
                params=cora.to_params(arch),
                distributions=cora.distributions(),
                value=evaluator.evaluate(arch).metrics["valid_acc"],
            )
        )
    study.optimize(evaluate, n_trials=1)
    assert "bo_seconds" in study.trials[-1].user_attrs  # a batch's worth of news: fit again


def _one_fit_and_its_picks(cora, acquisition):
    """A search of 4 random trials, one fit, then its 5 picks; the fit and the picked keys."""
    study = run_search(
        cora,
        TabularEvaluator(cora),
        budget=9,
        seed=3,
        sampler_options={**FAST_BANANAS, "n_startup_trials": 4, "batch_size": 5, "acquisition": acquisition},
    )
    fit = study.sampler._fit
    assert fit.n_archs == 4
    return fit, [cora.key(cora.from_params(t.params)) for t in study.trials[4:]], study.trials[4:]


def test_bananas_picks_of_one_fit_are_botorchs_greedy_batch(cora):
    from bananas.acquisition import select

    fit, picked, _ = _one_fit_and_its_picks(cora, "ei")
    sel = select(fit.model, fit.X_pool, 5, best_f=fit.best_f, rng=np.random.default_rng(0))
    assert picked == [cora.key(fit.pool[i]) for i in sel.indices]


def test_bananas_predicts_the_pool_once_per_fit_and_only_pending_architectures_per_pick(cora):
    from bananas.acquisition import get_acquisition
    from bananas.bo import BananasStep
    from bananas.encodings import encoder_for
    from bananas.history import History

    rng = np.random.default_rng(0)
    archs = cora.unique(cora.sample(rng) for _ in range(40))[:20]
    history = History(archs, [cora.lookup(a)["valid_acc"] for a in archs], [], {cora.key(a) for a in archs})
    step = BananasStep(
        cora, encoder_for("adjacency", cora), get_acquisition("ei"), predictor_options={"steps": 20}, batch_size=4
    )
    step.fit = step.fit_model(history, rng)
    rows = []
    predict = step.fit.model.predict
    step.fit.model.predict = lambda X: rows.append(len(X)) or predict(X)
    for _ in range(4):
        proposal = step.pick(history, rng)
        history.pending.append(proposal.arch)
        history.seen.add(cora.key(proposal.arch))
    assert rows == [1, 2, 3]  # the pending picks of this batch, never the pool again
    assert step.fit.members.shape == (10, len(step.fit.pool))


@pytest.mark.parametrize("whole_space", [True, False])
def test_on_a_table_the_pool_is_every_untried_architecture_unless_asked_for_mutations(whole_space):
    from bananas.acquisition import get_acquisition
    from bananas.bo import BananasStep
    from bananas.encodings import OpCountEncoder, encoder_for
    from bananas.history import History
    from bananas.spaces import get_tabular_space

    nb201 = get_tabular_space("nb201", "cifar100")
    rng = np.random.default_rng(0)
    archs = nb201.unique(nb201.sample(rng) for _ in range(30))[:20]
    pending = nb201.unique(nb201.sample(rng) for _ in range(30))[-3:]
    seen = {nb201.key(a) for a in archs + pending}
    history = History(archs, [nb201.lookup(a)["valid_acc"] for a in archs], pending, seen)
    step = BananasStep(
        nb201, encoder_for("adjacency", nb201), get_acquisition("ei"), whole_space=whole_space, batch_size=4
    )
    fit = step.fit_model(history, rng)
    keys = [nb201.key(a) for a in fit.pool]
    assert len(set(keys)) == len(keys) and not set(keys) & seen
    if whole_space:
        assert set(keys) == set(nb201.all_keys()) - seen
    else:  # the 10 best's neighbours and mutations, 200 random
        assert 200 < len(keys) < 1000
    assert np.array_equal(fit.X_pool, step.encoder.transform(fit.pool))
    history.values = [(v, 1.0) for v in history.values]  # several objectives: the mutation pool
    joint = step.fit_model(history, rng)
    assert len(joint.pool) < 1000
    counts = OpCountEncoder().fit(nb201).transform(joint.pool)  # and each op's count as inputs too
    assert np.array_equal(joint.X_pool, np.hstack([step.encoder.transform(joint.pool), counts]))


def test_bananas_its_picks_of_one_fit_follow_one_thompson_draw(cora):
    fit, picked, trials = _one_fit_and_its_picks(cora, "its")
    assert picked == [cora.key(fit.pool[i]) for i in fit.ranking.indices[:5]]
    draws = [t.user_attrs["acq_value"] for t in trials]
    assert draws == sorted(draws, reverse=True)


def test_local_search_climbs_from_the_best_of_its_climb_and_restarts_at_a_local_optimum():
    from bananas import get_space

    space = get_space("nb201", "cifar10")  # small neighbourhoods: climbs end within the budget
    study = run_search(space, TabularEvaluator(space), method="ls", budget=80, seed=3)
    trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    starts = [i for i, t in enumerate(trials) if "climb_from" not in t.user_attrs]
    assert starts[0] == 0 and len(starts) >= 2  # it restarted at least once
    for i, t in enumerate(trials):
        if "climb_from" in t.user_attrs:
            start = max(s for s in starts if s < i)
            climb = trials[start:i]
            best = max(climb, key=lambda c: c.value)
            assert t.user_attrs["climb_from"] == best.user_attrs["arch"]  # the climb's best so far
            neighbours = {space.key(n) for n in space.neighbors(space.from_string(best.user_attrs["arch"]))}
            assert space.key(space.from_string(t.user_attrs["arch"])) in neighbours
    for s in starts[1:]:  # a restart only once every neighbour of the climb's best was evaluated
        climb = trials[max(x for x in starts if x < s) : s]
        best = max(climb, key=lambda c: c.value)
        seen = {space.key(space.from_string(c.user_attrs["arch"])) for c in trials[:s]}
        assert {space.key(n) for n in space.neighbors(space.from_string(best.user_attrs["arch"]))} <= seen


def test_the_reinforce_controller_shifts_its_proposals_towards_better_architectures():
    from bananas import get_space

    space = get_space("nb201", "cifar10")
    means = []
    for seed in range(3):
        study = run_search(space, TabularEvaluator(space), method="reinforce", budget=90, seed=seed)
        values = [t.value for t in study.trials]
        means.append((np.mean(values[:30]), np.mean(values[-30:])))
    assert all(late > early for early, late in means)  # the policy learned on every seed


def test_one_sampler_on_two_studies_reads_each_studys_own_finished_trials(cora):
    sampler = BananasSampler(space=cora, seed=0, n_startup_trials=100)
    histories = []
    for _ in range(2):  # two in-memory studies: the same trial ids, other architectures
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(lambda t: cora.lookup(cora.suggest(t))["valid_acc"], n_trials=6)
        trial = study.ask()
        frozen = study._storage.get_trial(trial._trial_id)
        histories.append(sampler._history(study, frozen, cora))
        assert histories[-1].archs == [cora.from_params(t.params) for t in study.trials[:6]]
    assert histories[0].archs != histories[1].archs


def test_a_fit_every_ten_results_or_every_five_with_several_outcomes(cora):
    from bananas.acquisition import get_acquisition
    from bananas.bo import BananasStep
    from bananas.encodings import encoder_for
    from bananas.history import History

    archs = cora.unique(cora.sample(np.random.default_rng(0)) for _ in range(3))
    one = History(archs, [1.0, 2.0, 3.0])
    several = History(archs, [(1.0, 0.5), (2.0, 0.4), (3.0, 0.1)])
    constrained = History(archs, [1.0, 2.0, 3.0], violations=[(0.0,), (1.0,), (-1.0,)])
    step = BananasStep(cora, encoder_for("adjacency", cora), get_acquisition("ei"))
    assert [step.batch(h) for h in (one, several, constrained)] == [10, 5, 5]
    step.batch_size = 3  # given: for every study
    assert [step.batch(h) for h in (one, several, constrained)] == [3, 3, 3]
