"""Transfer from another dataset: the prior's score, its weight, and what the search does with them."""

import numpy as np
import pytest
from scipy.stats import kendalltau

from bananas.encodings import encoder_for
from bananas.evaluators import TabularEvaluator
from bananas.exchange import export_study
from bananas.search import run_search
from bananas.spaces import NBGraphSpace
from bananas.transfer import PriorScore, chance_tau, prior_weight
from bananas.trials import CONFIG
from bananas.warmstart import load_warm_start


def _pairs(space, rng, n, sign=1.0):
    """``n`` random architectures of ``space`` with their validation accuracy (times ``sign``)."""
    archs = space.unique(space.sample(rng) for _ in range(n))
    return [(space.to_string(a), sign * space.lookup(a)["valid_acc"]) for a in archs]


def _archs(study):
    return [t.user_attrs["arch"] for t in study.trials]


def test_chance_tau_is_the_spread_of_kendalls_tau_between_independent_rankings():
    rng = np.random.default_rng(0)
    taus = [kendalltau(np.arange(12), rng.permutation(12)).statistic for _ in range(4000)]
    assert np.std(taus) == pytest.approx(chance_tau(12), rel=0.05)


def test_the_weight_is_the_agreement_beyond_chance():
    up = np.arange(10.0)
    assert prior_weight(up, up) == pytest.approx(1 - chance_tau(10))
    assert prior_weight(up, -up) == 0.0  # disagreement is not used
    assert prior_weight(up, np.r_[up[:5], up[5:][::-1]]) < 1 - chance_tau(10)
    assert prior_weight(up[:2], up[:2]) == 0.0  # too few observations to tell
    assert prior_weight(up, np.ones(10)) == 0.0  # no ranking at all


def test_the_prior_score_ranks_like_the_prior_task_in_its_standard_units(cora, rng):
    pairs = _pairs(cora, rng, 150)
    archs, values = [cora.from_string(a) for a, _ in pairs], [v for _, v in pairs]
    score = PriorScore(cora, encoder_for("adjacency", cora), archs, values, seed=0)
    fresh = cora.unique(cora.sample(rng) for _ in range(300))
    truth = [cora.lookup(a)["valid_acc"] for a in fresh]
    assert kendalltau(score(fresh), truth).statistic > 0.2  # it generalizes beyond what it was fit on
    assert abs(score(archs).mean()) < 0.5 and 0.3 < score(archs).std() < 1.5
    calls = []
    predict = score._model.predict
    score._model.predict = lambda X: calls.append(len(X)) or predict(X)
    score(fresh + [cora.canonical(a) for a in fresh])
    assert calls == []  # scored once per canonical key
    with pytest.raises(ValueError, match="at least 2"):
        PriorScore(cora, encoder_for("adjacency", cora), archs[:1], values[:1])


def test_a_prior_that_disagrees_leaves_the_search_query_for_query_as_cold(cora, rng):
    options = {"batch_size": 5}
    cold = run_search(cora, TabularEvaluator(cora), budget=25, seed=3, sampler_options=options)
    reversed_prior = _pairs(cora, rng, 80, sign=-1.0)
    warm = run_search(
        cora, TabularEvaluator(cora), budget=25, seed=3, sampler_options={**options, "transfer": reversed_prior}
    )
    assert _archs(warm) == _archs(cold)
    assert {t.user_attrs.get("prior_weight") for t in warm.trials if t.user_attrs["iteration"] > 0} == {0.0}


def test_a_prior_that_agrees_picks_the_start_and_feeds_the_model(cora, rng):
    options = {"batch_size": 5}
    cold = run_search(cora, TabularEvaluator(cora), budget=20, seed=1, sampler_options=options)
    warm = run_search(
        cora, TabularEvaluator(cora), budget=20, seed=1, sampler_options={**options, "transfer": _pairs(cora, rng, 150)}
    )
    start = [t for t in warm.trials if t.user_attrs["iteration"] == 0]
    assert len(start) == 10 and any(t.user_attrs.get("prior_weight", 0) > 0 for t in start)
    assert np.mean([t.value for t in start]) > np.mean([t.value for t in cold.trials[:10]])
    fits = [t.user_attrs["prior_weight"] for t in warm.trials if t.user_attrs["iteration"] > 0]
    assert fits and max(fits) > 0  # the score is an input of the model


def test_several_objectives_read_the_prior_too(cora, rng):
    study = run_search(
        cora,
        TabularEvaluator(cora),
        budget=16,
        seed=0,
        objectives=["valid_acc", "latency"],
        sampler_options={"batch_size": 3, "transfer": _pairs(cora, rng, 100)},
    )
    fitted = [t for t in study.trials if t.user_attrs["iteration"] > 0]
    assert len(study.trials) == 16 and fitted and all("prior_weight" in t.user_attrs for t in fitted)


def test_a_search_on_another_dataset_becomes_the_prior_of_a_warm_start(cora, tmp_path):
    citeseer = NBGraphSpace("citeseer")
    storage = f"sqlite:///{tmp_path}/p.db"
    prior = run_search(
        citeseer, TabularEvaluator(citeseer), method="random", budget=20, seed=2, storage=storage, study_name="prior"
    )
    study = run_search(
        cora, TabularEvaluator(cora), budget=12, seed=0, warm_start=load_warm_start(storage, "prior"),
        sampler_options={"batch_size": 4},
    )  # fmt: skip
    transfer = study.user_attrs[CONFIG]["sampler_options"]["transfer"]  # what a worker joining reads
    assert sorted(v for _, v in transfer) == sorted(t.value for t in prior.trials)
    assert len(study.trials) == 12 and not any("warm_start" in t.user_attrs for t in study.trials)
    assert all("prior_weight" in t.user_attrs for t in study.trials if t.user_attrs["iteration"] > 0)


def test_prior_architectures_with_operations_the_space_lacks_are_left_out(cora, rng, tmp_path):
    proteins = NBGraphSpace("proteins")  # gcn, sage, arma, fc, skip only
    prior = run_search(cora, TabularEvaluator(cora), method="random", budget=30, seed=0)
    path = tmp_path / "cora.jsonl"
    export_study(prior, cora, path)
    pairs = load_warm_start(str(path)).transfer_pairs(proteins)
    done = [t.user_attrs["arch"] for t in prior.trials if t.value is not None]
    fits = [a for a in done if set(cora.from_string(a).ops) <= set(proteins.op_names)]
    assert 0 < len(fits) < len(done)
    assert [a for a, _ in pairs] == fits


def test_the_command_line_transfers_says_how_much_and_refuses_methods_without_a_model(tmp_path):
    from tests.test_cli import _bananas
    from tests.test_hostile import _one_line_error

    db = f"sqlite:///{tmp_path}/t.db"
    assert _bananas("search", "--dataset", "cora", "--budget", "30", "--storage", db, "--quiet").returncode == 0
    log = tmp_path / "cora.jsonl"
    out = _bananas("export", "--storage", db, "--study-name", "nbgraph-cora-bananas-seed0", "--out", str(log))
    assert out.returncode == 0, out.stderr
    warm = ["search", "--dataset", "citeseer", "--budget", "20", "--storage", db, "--warm-start", str(log), "--quiet"]
    out = _bananas(*warm)
    assert out.returncode == 0, out.stderr
    assert "transfer   30 prior evaluations of another dataset: used in" in out.stdout
    _one_line_error(_bananas(*warm, "--method", "tpe"), "another dataset (cora)", "--method bananas")
