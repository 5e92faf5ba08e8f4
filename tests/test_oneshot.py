"""The weight-sharing supernet, the one-shot methods (darts, cdarts, random-ws) and the supernet fidelity."""

import numpy as np
import optuna
import pytest
import torch

from bananas.cli import main
from bananas.fidelity import SupernetFidelity
from bananas.nets import Network
from bananas.oneshot import OneShot, OneShotConfig
from bananas.search import run_search
from bananas.spaces.nb201 import NB201Space
from bananas.supernet import Supernet
from bananas.training import TrainConfig, TrainingEvaluator

TINY = TrainConfig(epochs=1, channels=4, n_cells=1, batch_size=64)


@pytest.fixture(scope="module")
def space():
    return NB201Space("digits")


@pytest.fixture(scope="module")
def evaluator(space):
    return TrainingEvaluator(space, "digits", config=TINY)


def test_one_path_of_the_supernet_is_the_standalone_network_with_its_weights(space):
    torch.manual_seed(0)
    net = Supernet(in_channels=3, n_classes=10, channels=4, n_cells=2)
    x = torch.randn(5, 3, 16, 16)
    net.train()
    for _ in range(3):  # running statistics that differ per layer
        net(torch.randn(8, 3, 16, 16), space.sample(np.random.default_rng(9)))
    net.eval()
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(6)] + [("nor_conv_3x3", "none", "none", "none", "skip_connect", "none")]
    for arch in archs:  # the last: edge 0->1 feeds a node with no way out, so only a dead path is left
        standalone = Network(space.canonical(arch), in_channels=3, n_classes=10, channels=4, n_cells=2)
        standalone.load_state_dict(net.subnet_state(arch), strict=True)
        standalone.eval()
        with torch.no_grad():
            assert torch.allclose(net(x, arch), standalone(x), atol=1e-6), space.to_string(arch)
    with torch.no_grad():  # the mixed network is none of them
        assert not torch.allclose(net(x), net(x, archs[0]))


def test_a_few_darts_steps_move_the_architecture_weights(space, evaluator):
    shot = OneShot("darts", space, evaluator.trainer, OneShotConfig(epochs=1, arch_lr=0.01))
    shot.trainer.splits.train = tuple(t[:256] for t in evaluator.trainer.splits.train)  # a few steps
    try:
        before = shot.build(3).alpha.detach().clone()
        arch = shot.search(3)
    finally:
        evaluator.trainer.splits.train = TrainingEvaluator(space, "digits", config=TINY).trainer.splits.train
    after = shot.supernet.alpha.detach()
    assert after.shape == before.shape and not torch.allclose(after, before)
    assert arch == space.canonical(shot.supernet.derive())


@pytest.mark.parametrize("method", ["darts", "cdarts", "random-ws"])
def test_each_method_derives_a_valid_canonical_architecture_and_reports_epochs(space, evaluator, method):
    shot = OneShot(method, space, evaluator.trainer, OneShotConfig(epochs=2, n_candidates=5, score_images=200))
    epochs = []
    arch = shot.search(0, on_epoch=lambda e, acc: epochs.append((e, acc)))
    assert space.is_valid(arch) and space.canonical(arch) == arch
    assert [e for e, _ in epochs] == [1, 2] and all(0 <= acc <= 100 for _, acc in epochs)
    assert 0 <= shot.accuracy(arch) <= 100 and shot.seconds > 0


def test_a_search_records_the_supernet_epochs_then_the_standalone_training(space, evaluator):
    study = run_search(space, evaluator, method="random-ws", budget=2, sampler_options={"supernet_epochs": 2})
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 2 and len({t.user_attrs["arch"] for t in done}) == 2
    for t in done:
        assert sorted(t.intermediate_values) == [1, 2, 3]  # supernet epochs 1-2, then the training's one
        assert t.intermediate_values[3] == pytest.approx(t.value)
        assert t.user_attrs["supernet_epochs"] == 2 and t.user_attrs["supernet_seconds"] > 0
        assert space.canonical(space.from_string(t.user_attrs["arch"])) == space.from_string(t.user_attrs["arch"])


def test_a_derived_architecture_already_evaluated_gives_way_to_a_neighbour(space, evaluator, monkeypatch):
    fixed = space.canonical(("nor_conv_3x3",) * 6)
    monkeypatch.setattr(OneShot, "search", lambda self, seed, on_epoch=None: fixed)
    monkeypatch.setattr(OneShot, "accuracy", lambda self, arch=None: float(sum(op == "skip_connect" for op in arch)))
    study = run_search(space, evaluator, method="darts", budget=2)
    first, second = (space.from_string(t.user_attrs["arch"]) for t in study.trials)
    assert first == fixed and second in [space.canonical(a) for a in space.neighbors(fixed)]
    assert "skip_connect" in second  # the neighbour the inherited weights score best


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_a_nan_in_supernet_training_is_a_failed_trial_with_its_reason(space, evaluator, monkeypatch):
    monkeypatch.setattr(OneShot, "_darts_step", lambda self, state, x, y, rng: torch.tensor(float("nan")))
    storage = optuna.storages.InMemoryStorage()
    with pytest.raises(RuntimeError, match="failed"):
        run_search(space, evaluator, method="darts", budget=1, storage=storage, max_failures=1)
    study = optuna.load_study(study_name="nb201-digits-darts-seed0", storage=storage)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 2
    assert all("supernet training loss is nan" in t.user_attrs["fail_reason"] for t in study.trials)


def test_the_supernet_fidelity_scores_in_standard_units_and_is_the_steps_prior(space, evaluator):
    from bananas.samplers import BananasSampler

    fidelity = SupernetFidelity(space, evaluator.trainer, OneShotConfig(epochs=1, score_images=200), seed=0)
    sampler = BananasSampler(space=space, seed=0, fidelity=fidelity)
    assert sampler._step.prior is fidelity
    archs = space.unique(space.sample(np.random.default_rng(s)) for s in range(8))
    scores = fidelity(archs)
    assert fidelity.shot.seconds > 0  # trained once, at the first call
    minus_loss = np.array([-fidelity.shot.scores(a)[1] for a in archs])
    center, scale = fidelity._units
    assert np.allclose(scores * scale + center, minus_loss) and scale > 0 and center < 0
    with pytest.raises(ValueError, match="give one of them"):
        BananasSampler(space=space, seed=0, fidelity=fidelity, transfer=[("a", 1.0), ("b", 2.0)])


def test_the_params_fidelity_is_the_log_parameter_count_of_the_network_the_evaluator_trains(space, evaluator):
    from functools import partial

    from bananas.fidelity import ParamsFidelity

    fidelity = ParamsFidelity(space, evaluator.trainer)
    archs = space.unique(space.sample(np.random.default_rng(s)) for s in range(8))
    built = [evaluator.trainer.build(partial(space.network, space.canonical(a)), 0) for a in archs]
    counts = np.log([sum(p.numel() for p in net.parameters()) for net in built])
    assert fidelity._units is None  # nothing computed before the first call
    scores = fidelity(archs)
    center, scale = fidelity._units
    assert np.allclose(scores * scale + center, counts) and scale > 0


def test_the_command_runs_one_shot_methods_and_the_fidelity_and_refuses_what_cannot_work(tmp_path, capsys):
    db = f"sqlite:///{tmp_path}/s.db"
    base = ["search", "--space", "nb201", "--evaluator", "train", "--dataset", "digits", "--epochs", "1"]
    base += ["--channels", "4", "--storage", db, "--quiet"]
    main([*base, "--method", "darts", "--budget", "1", "--supernet-epochs", "1"])
    main([*base, "--fidelity", "supernet", "--supernet-epochs", "1", "--budget", "4", "--n-init", "2"])
    main([*base, "--fidelity", "supernet", "--supernet-epochs", "1", "--budget", "4", "--n-init", "2"])  # resumes
    main([*base, "--fidelity", "params", "--budget", "3", "--n-init", "2", "--study-name", "by-params"])
    out = capsys.readouterr().out
    assert "nb201-digits-darts-seed0" in out and "nb201-digits-bananas-seed0" in out
    study = optuna.load_study(study_name="nb201-digits-bananas-seed0", storage=db)
    assert study.user_attrs["bananas"]["sampler_options"]["fidelity"] == "supernet"
    assert len(study.trials) == 4 and "pred_mean" in study.trials[-1].user_attrs
    by_params = optuna.load_study(study_name="by-params", storage=db)
    assert by_params.user_attrs["bananas"]["sampler_options"]["fidelity"] == "params" and len(by_params.trials) == 3
    for bad, problem in [
        (["--method", "random", "--supernet-epochs", "2"], "--supernet-epochs: only for --method darts"),
        (["--method", "re", "--fidelity", "supernet"], "--fidelity: only for --method bananas"),
        (["--fidelity", "params", "--supernet-epochs", "2"], "--supernet-epochs: only for --method darts"),
    ]:
        with pytest.raises(SystemExit):
            main([*base, *bad, "--budget", "1"])
        assert problem in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search", "--space", "nbgraph", "--dataset", "cora", "--method", "darts", "--budget", "1"])
    assert "--method darts trains a supernet on the training data: use --evaluator train" in capsys.readouterr().err


def _count_convs(archs):  # a stand-in for the supernet: the more 3x3 convolutions the better
    return np.array([sum(op == "nor_conv_3x3" for op in a) for a in archs], dtype=float)


def _search(space, fidelity, n=12):
    from bananas.samplers import BananasSampler

    sampler = BananasSampler(space=space, seed=0, n_startup_trials=8, batch_size=4, fidelity=fidelity)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: float(_count_convs([space.suggest(t)])[0]), n_trials=n)
    return study


def test_a_fidelity_that_agrees_picks_the_start_and_feeds_the_model(space):
    plain = _search(space, None)
    study = _search(space, _count_convs)
    start = [t for t in study.trials if t.user_attrs["iteration"] == 0]
    assert any(t.user_attrs.get("prior_weight", 0) > 0 for t in start)
    assert np.mean([t.value for t in start]) > np.mean([t.value for t in plain.trials[:8]])
    assert max(t.user_attrs.get("prior_weight", 0) for t in study.trials if t.user_attrs["iteration"] > 0) > 0


def test_a_fidelity_that_disagrees_is_not_asked_about_the_pool_and_leaves_the_search_as_plain(space):
    calls = []

    def disagrees(archs):  # ranks the opposite way: its weight stays 0
        calls.append(len(archs))
        return -_count_convs(archs)

    plain, study = _search(space, None), _search(space, disagrees)
    assert [t.params for t in study.trials] == [t.params for t in plain.trials]
    assert max(calls) <= 12  # the evaluated architectures only, never the pool of candidates


def test_the_same_seed_trains_the_same_supernet(space, evaluator):
    shots = [OneShot("darts", space, evaluator.trainer, OneShotConfig(epochs=1, score_images=100)) for _ in range(3)]
    archs = [shot.search(seed) for shot, seed in zip(shots, (5, 5, 6), strict=True)]
    alphas = [shot.supernet.alpha.detach() for shot in shots]
    assert torch.equal(alphas[0], alphas[1]) and archs[0] == archs[1]
    assert not torch.equal(alphas[0], alphas[2])


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_a_worker_records_a_failed_supernet_training_and_goes_on(space, evaluator, monkeypatch, tmp_path):
    from bananas.study import prepare_study
    from bananas.workers import run_worker

    monkeypatch.setattr(OneShot, "_random_ws_step", lambda self, state, x, y, rng: torch.tensor(float("inf")))
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(tmp_path / "j.log")))
    prepare_study(space, evaluator, method="random-ws", budget=1, storage=storage, study_name="s")
    with pytest.raises(RuntimeError, match="stopped after 2 failed"):
        run_worker(storage, "s", evaluator=evaluator, max_failures=1)
    trials = optuna.load_study(study_name="s", storage=storage).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.FAIL] * 2
    assert all("supernet training loss is inf" in t.user_attrs["fail_reason"] for t in trials)
