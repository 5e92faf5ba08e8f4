"""The training evaluator: build a network from an architecture and train it with PyTorch.

Any space with a ``network(arch, in_channels=, n_classes=, channels=, n_cells=)``
method trains: NB-201 cells, user-declared cells (``CellSpace`` with op module
factories, NAS-Bench-101), and a ``JointSpace`` of a cell and hyperparameters,
whose hyperparameters named like ``TrainConfig`` fields (``lr``, ``channels``, ...)
set them for each evaluation.

The loop is ``bananas.trainer.Trainer`` (CUDA with mixed precision when
present; the CPU otherwise, seeded and deterministic). Each evaluation
reports validation and test accuracy, parameter count, FLOPs, training time
and throughput, and, through ``on_epoch``, the validation accuracy after every
epoch (the objective reports it as the trial's intermediate values). A
non-finite loss, a CUDA out-of-memory error or any other exception becomes a
failed ``Result`` with its reason, so the trial is FAIL and the search goes on.

Weight inheritance (Real et al., 2017): with ``inherit_weights``, a candidate
one edge op away from an evaluated architecture starts from that parent's
weights wherever module names and shapes match, and trains ``inherit_epochs``.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from bananas.evaluators import OnEpoch, Result, StopEvaluation
from bananas.spaces import Space
from bananas.spaces.nb201 import NB201Space

if TYPE_CHECKING:
    import torch

OPTIMIZERS = ("sgd", "adamw")
METRICS = ("valid_acc", "test_acc", "params_m", "flops_m", "train_seconds", "epochs", "images_per_second")


@dataclass
class TrainConfig:
    """How each architecture is trained (defaults: a small network that trains in seconds on a CPU)."""

    epochs: int = 10
    time_budget: float | None = None  # seconds of training per evaluation; stops early when reached
    batch_size: int = 32
    train_subset: int | None = None  # train on this many images of the (seeded) training split; None: all
    optimizer: str = "sgd"  # sgd (momentum 0.9, nesterov) or adamw; cosine learning-rate decay either way
    lr: float | None = None  # default 0.05 for sgd, 0.003 for adamw
    weight_decay: float = 5e-4
    channels: int = 8  # C: the stages have C, 2C and 4C channels
    n_cells: int = 1  # N: cells per stage
    device: str = "auto"  # auto, cpu, cuda, cuda:1, ...
    seed: int = 0  # fixes the data split; each architecture's run is seeded from it and the architecture
    inherit_weights: bool = False
    inherit_epochs: int | None = None  # epochs of an inheriting child (default: half of epochs)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        for name in ("epochs", "batch_size", "channels", "n_cells", "train_subset"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("time_budget", "lr"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else 0.05 if self.optimizer == "sgd" else 0.003


class TrainingEvaluator:
    """Evaluates architectures of ``space`` by training them on ``dataset`` (``bananas.datasets.DATASETS``).

    Raises ``bananas.datasets.DataError`` at construction for data that cannot be read.
    """

    def __init__(
        self, space: Space, dataset: str = "digits", data_dir: str | None = None, config: TrainConfig | None = None
    ) -> None:
        check_trainable(space)
        if config is not None and config.inherit_weights and not isinstance(space, NB201Space):
            raise ValueError("weight inheritance works on NAS-Bench-201 cells only; drop --inherit-weights")
        from bananas.datasets import load_dataset
        from bananas.trainer import Trainer, pick_device

        self.space = space
        self.config = config or TrainConfig()
        self.device = pick_device(self.config.device)
        splits = load_dataset(dataset, data_dir, seed=self.config.seed)
        if self.config.train_subset is not None:
            x, y = splits.train
            splits.train = (x[: self.config.train_subset], y[: self.config.train_subset])
        self.trainer = Trainer(splits.to(self.device), self.config, self.device)
        self._trained: dict[Any, tuple[tuple[str, ...], float, dict[str, torch.Tensor]]] = {}

    def describe(self) -> dict[str, Any]:
        """Return the training settings (recorded in the study)."""
        return {"kind": "train", **asdict(self.config), "device": str(self.device)}

    def evaluate(self, arch: tuple[str, ...], on_epoch: OnEpoch | None = None) -> Result:
        """Train ``arch`` and return its metrics, or a failed result with the reason (``StopEvaluation``
        from ``on_epoch`` passes through)."""
        import torch

        from bananas.trainer import Diverged

        start = time.perf_counter()
        try:
            return Result(metrics=self._train(arch, on_epoch), cost=time.perf_counter() - start)
        except StopEvaluation:
            raise
        except torch.cuda.OutOfMemoryError as err:
            torch.cuda.empty_cache()
            reason = f"CUDA out of memory: {str(err).splitlines()[0]}"
        except Diverged as err:
            reason = str(err)
        except Exception as err:  # any failure of one evaluation is that trial's, not the search's
            reason = f"{type(err).__name__}: {err}"
        return Result(status="fail", reason=reason, cost=time.perf_counter() - start)

    def metric_names(self) -> tuple[str, ...]:
        """The metrics every training records."""
        return METRICS

    def config_for(self, arch: Any) -> TrainConfig:
        """The training settings of ``arch``: the evaluator's, with the space's hyperparameters that name a
        ``TrainConfig`` field applied (a ``JointSpace``)."""
        settings = self.space.settings(arch)
        names = {f.name for f in fields(TrainConfig)}
        return replace(self.config, **{k: v for k, v in settings.items() if k in names})

    def _train(self, arch: Any, on_epoch: OnEpoch | None) -> dict[str, Any]:
        from functools import partial

        from bananas.nets import count_flops

        cfg = self.config_for(arch)
        ops = self.space.canonical(arch) if isinstance(self.space, NB201Space) else arch
        seed = cfg.seed * 1_000_003 + zlib.crc32(self.space.to_string(ops).encode())
        model = self.trainer.build(partial(self.space.network, ops), seed, cfg)  # type: ignore[attr-defined]
        metrics: dict[str, Any] = {
            "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
            "flops_m": count_flops(model, self.trainer.splits.shape) / 1e6,
        }
        epochs = cfg.epochs
        parent = self._parent(ops) if cfg.inherit_weights else None
        if parent is not None:
            parent_ops, _, state = parent
            metrics["inherited_from"] = self.space.to_string(parent_ops)
            metrics["inherited_fraction"] = inherit(model, state)
            epochs = cfg.inherit_epochs or max(1, cfg.epochs // 2)
        metrics.update(self.trainer.fit(model, epochs, seed, on_epoch, cfg))
        metrics["valid_acc"] = self.trainer.accuracy(model, self.trainer.splits.valid)
        metrics["test_acc"] = self.trainer.accuracy(model, self.trainer.splits.test)
        if cfg.inherit_weights:
            state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            self._trained[self.space.key(ops)] = (ops, metrics["valid_acc"], state)
        return metrics

    def _parent(self, ops: tuple[str, ...]) -> tuple[tuple[str, ...], float, dict[str, torch.Tensor]] | None:
        """Return the best evaluated architecture one edge op away from ``ops`` (canonical forms), if any."""
        near = [t for t in self._trained.values() if sum(a != b for a, b in zip(t[0], ops, strict=True)) == 1]
        return max(near, key=lambda t: t[1], default=None)


def check_trainable(space: Space) -> None:
    """ValueError naming the fix unless ``space`` can build a network of its architectures."""
    if not callable(getattr(space, "network", None)):
        raise ValueError(
            f"space {space.name!r} cannot build networks to train; train nb201 or nb101, or a CellSpace "
            "declared with op module factories (see docs/own-space.md)"
        )


def inherit(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> float:
    """Copy the tensors of ``state`` whose names and shapes match into ``model``; return the fraction of
    ``model``'s parameters so set."""
    own = model.state_dict()
    match = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(match, strict=False)
    params = dict(model.named_parameters())
    total = sum(p.numel() for p in params.values())
    return sum(params[k].numel() for k in match if k in params) / total
