"""The training evaluator: build an NB-201 network from an architecture and train it with PyTorch.

The device is chosen automatically (CUDA when present, with mixed precision and
channels_last; the CPU otherwise, seeded and deterministic). Each evaluation
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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from bananas.data import Splits, augment, load_dataset
from bananas.evaluators import Result
from bananas.nets import Network, count_flops
from bananas.spaces.nb201 import NB201Space

OPTIMIZERS = ("sgd", "adamw")
OnEpoch = Callable[[int, float], None]


class Diverged(ArithmeticError):
    """The training loss became NaN or infinite."""


@dataclass
class TrainConfig:
    """How each architecture is trained (defaults: a small network that trains in seconds on a CPU)."""

    epochs: int = 10
    time_budget: float | None = None  # seconds of training per evaluation; stops early when reached
    batch_size: int = 32
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
        for name in ("epochs", "batch_size", "channels", "n_cells"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.time_budget is not None and self.time_budget <= 0:
            raise ValueError(f"time_budget must be positive, got {self.time_budget}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else 0.05 if self.optimizer == "sgd" else 0.003


def pick_device(name: str = "auto") -> torch.device:
    """Return CUDA when asked for ``auto`` and present, else the CPU; a clear error for a missing GPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for but no CUDA GPU is available; use --device cpu or auto")
    return device


class Trainer:
    """Trains one model on ``splits`` (already on ``device``) and measures it."""

    def __init__(self, splits: Splits, config: TrainConfig, device: torch.device) -> None:
        self.splits, self.config, self.device = splits, config, device
        self.amp = device.type == "cuda"
        self.memory_format = torch.channels_last if self.amp else torch.contiguous_format

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images -> normalized float input in the device's memory format."""
        x = (images.float() - self.splits.mean[:, None, None]) / self.splits.std[:, None, None]
        return x.contiguous(memory_format=self.memory_format)

    def build(self, ops: tuple[str, ...], seed: int) -> Network:
        torch.manual_seed(seed)
        model = Network(
            ops,
            in_channels=self.splits.shape[0],
            n_classes=self.splits.n_classes,
            channels=self.config.channels,
            n_cells=self.config.n_cells,
        )
        return model.to(self.device, memory_format=self.memory_format)  # type: ignore[call-overload]

    @torch.no_grad()
    def accuracy(self, model: torch.nn.Module, split: tuple[torch.Tensor, torch.Tensor]) -> float:
        """Return the accuracy (percent) of ``model`` on ``split``."""
        model.eval()
        x, y = split
        correct = torch.zeros((), device=self.device)
        for start in range(0, len(y), 512):
            with torch.autocast(self.device.type, enabled=self.amp):
                logits = model(self.prepare(x[start : start + 512]))
            correct += (logits.argmax(1) == y[start : start + 512]).sum()
        return 100.0 * float(correct) / len(y)

    def fit(self, model: torch.nn.Module, epochs: int, seed: int, on_epoch: OnEpoch | None = None) -> dict[str, float]:
        """Train ``model`` for ``epochs`` (or until the time budget); return what the training took."""
        cfg = self.config
        x, y = self.splits.train
        n, bs = len(y), cfg.batch_size
        steps = epochs * math.ceil(n / bs)
        params = model.parameters()
        if cfg.optimizer == "sgd":
            opt: torch.optim.Optimizer = torch.optim.SGD(
                params, lr=cfg.learning_rate, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
            )
        else:
            opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp)
        gen = torch.Generator(device=self.device).manual_seed(seed)
        start, seen, done = time.perf_counter(), 0, 0
        deadline = start + cfg.time_budget if cfg.time_budget is not None else math.inf
        for epoch in range(1, epochs + 1):
            model.train()
            loss_sum = torch.zeros((), device=self.device)
            order = torch.randperm(n, generator=gen, device=self.device)
            for i in range(0, n, bs):
                idx = order[i : i + bs]
                images = augment(x[idx], gen) if self.splits.augment else x[idx]
                with torch.autocast(self.device.type, enabled=self.amp):
                    loss = F.cross_entropy(model(self.prepare(images)), y[idx])
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                schedule.step()
                loss_sum += loss.detach()
                seen += len(idx)
                if time.perf_counter() > deadline:
                    break
            if not torch.isfinite(loss_sum):  # one check (one device sync) per epoch
                raise Diverged(f"training loss is {float(loss_sum)} in epoch {epoch}")
            done = epoch
            if on_epoch is not None:
                on_epoch(epoch, self.accuracy(model, self.splits.valid))
            if time.perf_counter() > deadline:
                break
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        seconds = time.perf_counter() - start
        return {"train_seconds": seconds, "epochs": done, "images_per_second": seen / seconds}


class TrainingEvaluator:
    """Evaluates NB-201 architectures by training them on ``dataset`` (``bananas.data.DATASETS``).

    Raises ``bananas.data.DataError`` at construction for data that cannot be read.
    """

    def __init__(
        self, space: NB201Space, dataset: str = "digits", data_dir: str | None = None, config: TrainConfig | None = None
    ) -> None:
        if not isinstance(space, NB201Space):
            raise ValueError(f"the training evaluator builds NAS-Bench-201 networks; got space {space.name!r}")
        self.space = space
        self.config = config or TrainConfig()
        self.device = pick_device(self.config.device)
        self.trainer = Trainer(
            load_dataset(dataset, data_dir, seed=self.config.seed).to(self.device), self.config, self.device
        )
        self._trained: dict[Any, tuple[tuple[str, ...], float, dict[str, torch.Tensor]]] = {}

    def describe(self) -> dict[str, Any]:
        """Return the training settings (recorded in the study)."""
        return {"kind": "train", **asdict(self.config), "device": str(self.device)}

    def evaluate(self, arch: tuple[str, ...], on_epoch: OnEpoch | None = None) -> Result:
        """Train ``arch`` and return its metrics, or a failed result with the reason."""
        import optuna

        start = time.perf_counter()
        try:
            return Result(metrics=self._train(arch, on_epoch), cost=time.perf_counter() - start)
        except optuna.TrialPruned:
            raise
        except torch.cuda.OutOfMemoryError as err:
            torch.cuda.empty_cache()
            reason = f"CUDA out of memory: {str(err).splitlines()[0]}"
        except Diverged as err:
            reason = str(err)
        except Exception as err:  # any failure of one evaluation is that trial's, not the search's
            reason = f"{type(err).__name__}: {err}"
        return Result(status="fail", reason=reason, cost=time.perf_counter() - start)

    def _train(self, arch: tuple[str, ...], on_epoch: OnEpoch | None) -> dict[str, Any]:
        cfg = self.config
        ops = self.space.canonical(arch)
        seed = cfg.seed * 1_000_003 + zlib.crc32(self.space.to_string(ops).encode())
        model = self.trainer.build(ops, seed)
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
        metrics.update(self.trainer.fit(model, epochs, seed, on_epoch))
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


def inherit(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> float:
    """Copy the tensors of ``state`` whose names and shapes match into ``model``; return the fraction of
    ``model``'s parameters so set."""
    own = model.state_dict()
    match = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(match, strict=False)
    params = dict(model.named_parameters())
    total = sum(p.numel() for p in params.values())
    return sum(params[k].numel() for k in match if k in params) / total
