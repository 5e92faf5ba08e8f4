import pickle
from functools import partial

import numpy as np
import optuna
import pytest
import torch

from bananas.datasets import DataError, augment, load_dataset
from bananas.nets import Network, count_flops
from bananas.search import run_search
from bananas.spaces import NB201Space
from bananas.spaces.nb201 import from_string
from bananas.trainer import Trainer
from bananas.training import TrainConfig, TrainingEvaluator, inherit

GOOD = from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
SMALL = dict(channels=4, n_cells=1, device="cpu")


@pytest.fixture(scope="module")
def space():
    return NB201Space("digits")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def test_digits_splits_are_fixed_by_the_seed_and_disjoint(digits):
    assert digits.shape == (1, 8, 8) and digits.n_classes == 10
    sizes = [len(s[1]) for s in (digits.train, digits.valid, digits.test)]
    assert sum(sizes) == 1797 and sizes[1] == sizes[2] == 359
    again, other = load_dataset("digits", seed=0), load_dataset("digits", seed=1)
    assert torch.equal(again.test[0], digits.test[0]) and not torch.equal(other.test[0], digits.test[0])
    rows = {bytes(x.numpy()) for x in digits.train[0]}
    assert sum(bytes(x.numpy()) in rows for x in digits.test[0]) < 10  # a few duplicate digits exist in the data


def test_a_few_training_steps_lower_the_loss(digits):
    trainer = Trainer(digits, TrainConfig(epochs=1, **SMALL), torch.device("cpu"))
    model = trainer.build(partial(Network, GOOD), seed=0)
    x, y = trainer.prepare(digits.train[0][:256]), digits.train[1][:256]
    before = torch.nn.functional.cross_entropy(model(x), y).item()
    trainer.fit(model, epochs=2, seed=0)
    model.train()
    after = torch.nn.functional.cross_entropy(model(x), y).item()
    assert after < 0.7 * before


def test_training_on_the_cpu_is_deterministic(space):
    ev = TrainingEvaluator(space, "digits", config=TrainConfig(epochs=1, **SMALL))
    first, second = ev.evaluate(GOOD), ev.evaluate(GOOD)
    assert first.ok and first.metrics["valid_acc"] == second.metrics["valid_acc"]
    assert first.metrics["test_acc"] == second.metrics["test_acc"] and first.metrics["params_m"] > 0
    assert first.metrics["flops_m"] > 0 and first.metrics["images_per_second"] > 0


def test_strings_of_one_architecture_build_one_network(space):
    dead = ("nor_conv_3x3", "avg_pool_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none")
    alive = ("nor_conv_3x3", "none", "none", "skip_connect", "nor_conv_1x1", "none")
    a, b = (Network(o, in_channels=1, n_classes=10, channels=4, n_cells=1) for o in (dead, alive))
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())
    zero = Network(("none",) * 6, in_channels=1, n_classes=10, channels=4, n_cells=1)
    assert zero(torch.zeros(2, 1, 8, 8)).shape == (2, 10)  # a cell that computes zero still runs
    assert count_flops(a, (1, 8, 8)) > count_flops(zero, (1, 8, 8))


def test_a_nan_loss_is_a_failed_trial_with_its_reason(space):
    ev = TrainingEvaluator(space, "digits", config=TrainConfig(epochs=1, lr=1e30, **SMALL))
    result = ev.evaluate(GOOD)
    assert not result.ok and "loss is nan" in result.reason.lower()
    storage = optuna.storages.InMemoryStorage()
    with pytest.raises(RuntimeError, match="3 failed or pruned evaluations"):  # the search goes on until max_failures
        run_search(space, ev, method="random", budget=1, seed=0, max_failures=2, storage=storage, study_name="n")
    trials = optuna.load_study(storage=storage, study_name="n").trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.FAIL] * 3
    assert all("loss is nan" in t.user_attrs["fail_reason"] for t in trials)
    assert len({t.user_attrs["arch"] for t in trials}) == 3  # a failed architecture is not proposed again


def test_epochs_are_intermediate_values(space):
    ev = TrainingEvaluator(space, "digits", config=TrainConfig(epochs=2, **SMALL))
    study = run_search(space, ev, method="bananas", budget=4, seed=0)
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == 4 and all(sorted(t.intermediate_values) == [1, 2] for t in done)
    assert study.user_attrs["bananas"]["evaluator"]["epochs"] == 2


def test_a_pruner_stops_runs_after_an_epoch_and_they_are_not_proposed_again(space):
    ev = TrainingEvaluator(space, "digits", config=TrainConfig(epochs=3, **SMALL))
    storage = optuna.storages.InMemoryStorage()
    prune_all = optuna.pruners.ThresholdPruner(lower=101.0)  # no accuracy passes: every run is pruned
    with pytest.raises(RuntimeError, match="failed or pruned"):
        run_search(
            space, ev, method="random", budget=2, max_failures=2, pruner=prune_all, storage=storage, study_name="p"
        )
    trials = optuna.load_study(storage=storage, study_name="p").trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.PRUNED] * 3
    assert all(list(t.intermediate_values) == [1] for t in trials)
    assert len({t.user_attrs["arch"] for t in trials}) == 3


def test_weight_inheritance_starts_a_child_from_its_parent(space):
    cfg = TrainConfig(epochs=2, inherit_weights=True, **SMALL)
    ev = TrainingEvaluator(space, "digits", config=cfg)
    assert "inherited_from" not in ev.evaluate(GOOD).metrics
    child = GOOD[:2] + ("nor_conv_1x1",) + GOOD[3:]
    r = ev.evaluate(child)
    assert r.metrics["inherited_from"] == space.to_string(space.canonical(GOOD)) and r.metrics["epochs"] == 1
    assert 0.5 < r.metrics["inherited_fraction"] < 1
    a = Network(GOOD, in_channels=1, n_classes=10, channels=4, n_cells=1)
    b = Network(child, in_channels=1, n_classes=10, channels=4, n_cells=1)
    inherit(b, a.state_dict())
    assert torch.equal(a.stem[0].weight, b.stem[0].weight)


def test_augment_crops_and_flips_with_torch_ops():
    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.uint8).reshape(2, 3, 4, 4)
    gen = torch.Generator().manual_seed(0)
    out = augment(images, gen, padding=0)
    for x, o in zip(images, out, strict=True):
        assert torch.equal(o, x) or torch.equal(o, x.flip(-1))
    padded = augment(images, gen, padding=2)
    assert padded.shape == images.shape and padded.dtype == torch.uint8


def _write_batch(path, n, label_key):
    rng = np.random.default_rng(0)
    data = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), label_key: list(rng.integers(0, 10, n))}
    path.write_bytes(pickle.dumps(data))


def test_cifar_is_read_from_the_pickle_format(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        _write_batch(folder / f"data_batch_{i}", 20, b"labels")
    _write_batch(folder / "test_batch", 10, b"labels")
    splits = load_dataset("cifar10", tmp_path, seed=0)
    assert splits.shape == (3, 32, 32) and len(splits.train[1]) + len(splits.valid[1]) == 100
    assert len(splits.test[1]) == 10 and splits.augment


def test_missing_or_malformed_cifar_says_which_files(tmp_path):
    with pytest.raises(DataError, match="--data-dir"):
        load_dataset("cifar10")
    with pytest.raises(DataError, match="data_batch_1.*test_batch"):
        load_dataset("cifar10", tmp_path)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_text("not a pickle")
    _write_batch(folder / "test", 4, b"fine_labels")
    with pytest.raises(DataError, match="not a CIFAR python-pickle batch"):
        load_dataset("cifar100", tmp_path)
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("mnist")


def test_an_evaluator_is_built_again_from_its_description(space, cora):
    from bananas.evaluators import StopEvaluation, TabularEvaluator, from_description

    ev = TrainingEvaluator(space, "digits", config=TrainConfig(epochs=2, lr=0.01, **SMALL))
    again = from_description(ev.describe(), space, device="cpu")
    assert isinstance(again, TrainingEvaluator) and again.config == ev.config
    table = from_description(TabularEvaluator(cora, simulated_cost=(0.0, 0.01)).describe(), cora)
    assert isinstance(table, TabularEvaluator) and table.simulated_cost == (0.0, 0.01)
    with pytest.raises(ValueError, match="cannot build networks to train; train nb201 or nb101"):
        from_description(ev.describe(), cora)

    def stop(epoch, valid_acc):
        raise StopEvaluation("enough")

    with pytest.raises(StopEvaluation, match="enough"):  # the evaluator lets the stop through: not a failure
        ev.evaluate(GOOD, on_epoch=stop)


def _write_idx(path, array):
    import gzip

    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.fixture
def fashion(tmp_path):
    """Small Fashion-MNIST idx files: gzipped train files, plain test files (both forms are read)."""
    rng = np.random.default_rng(0)
    for stem, n, gz in (("train", 300, True), ("t10k", 100, False)):
        labels = rng.integers(10, size=n)
        images = rng.integers(0, 60, size=(n, 28, 28)) + (labels * 20)[:, None, None]  # learnable: brightness
        suffix = ".gz" if gz else ""
        _write_idx(tmp_path / f"{stem}-images-idx3-ubyte{suffix}", images)
        _write_idx(tmp_path / f"{stem}-labels-idx1-ubyte{suffix}", labels)
    return tmp_path


def test_fashion_mnist_is_read_from_idx_files_with_a_seeded_validation_split(fashion):
    splits = load_dataset("fashion-mnist", fashion, seed=0)
    assert splits.shape == (1, 28, 28) and splits.n_classes == 10 and not splits.augment
    assert [len(s[1]) for s in (splits.train, splits.valid, splits.test)] == [240, 60, 100]
    other = load_dataset("fashion-mnist", fashion, seed=1)
    assert torch.equal(other.test[0], splits.test[0]) and not torch.equal(other.valid[0], splits.valid[0])


def test_missing_fashion_mnist_names_the_package_and_the_folder(tmp_path):
    with pytest.raises(DataError, match=r"lacks train-images-idx3-ubyte.*dataset-fashion-mnist.*--data-dir"):
        load_dataset("fashion-mnist", tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x0d\x03junk")
    for stem in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / stem).write_bytes(b"")
    with pytest.raises(DataError, match="cannot be read as an idx file"):
        load_dataset("fashion-mnist", tmp_path)


def test_a_declared_cell_with_hyperparameters_trains_with_its_own_settings(fashion):
    from bananas.spaces import NB101Space
    from bananas.spaces.joint import JointSpace

    space = JointSpace(
        NB101Space("fashion-mnist"),
        {
            "lr": optuna.distributions.FloatDistribution(1e-3, 0.1, log=True),
            "channels": optuna.distributions.IntDistribution(4, 8, step=4),
        },
    )
    config = TrainConfig(epochs=1, train_subset=100, batch_size=50, device="cpu")
    ev = TrainingEvaluator(space, "fashion-mnist", str(fashion), config)
    assert len(ev.trainer.splits.train[1]) == 100
    arch = space.from_params(
        {
            **space.cell.to_params(space.cell.from_string("0-1,1-6|conv3x3-bn-relu" + ",maxpool3x3" * 4)),
            "lr": 0.02,
            "channels": 8,
        }
    )
    assert ev.config_for(arch).lr == 0.02 and ev.config_for(arch).channels == 8
    result = ev.evaluate(arch)
    assert result.ok, result.reason
    narrow = space.from_params({**space.to_params(arch), "channels": 4})
    assert ev.evaluate(narrow).metrics["params_m"] < result.metrics["params_m"]  # the width is applied
    assert 0 <= result.metrics["test_acc"] <= 100


@pytest.mark.parametrize("field", ["epochs", "batch_size", "channels", "n_cells", "train_subset"])
def test_counts_below_one_are_refused(field):
    with pytest.raises(ValueError, match=f"{field} must be at least 1, got 0"):
        TrainConfig(**{field: 0})
    assert TrainConfig(train_subset=None).train_subset is None
