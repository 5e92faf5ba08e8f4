"""The training loop: one model on seeded data splits, on CUDA with mixed precision when present.

The device is chosen automatically (CUDA when present, with mixed precision and
channels_last; the CPU otherwise, seeded and deterministic).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from bananas.datasets import Splits, augment
from bananas.evaluators import OnEpoch

if TYPE_CHECKING:
    from bananas.training import TrainConfig


class Diverged(ArithmeticError):
    """The training loss became NaN or infinite."""


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

    def build(
        self, network: Callable[..., torch.nn.Module], seed: int, config: TrainConfig | None = None
    ) -> torch.nn.Module:
        """Return ``network(in_channels=, n_classes=, channels=, n_cells=)`` seeded, on the device."""
        cfg = config or self.config
        torch.manual_seed(seed)
        model = network(
            in_channels=self.splits.shape[0],
            n_classes=self.splits.n_classes,
            channels=cfg.channels,
            n_cells=cfg.n_cells,
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

    def fit(
        self,
        model: torch.nn.Module,
        epochs: int,
        seed: int,
        on_epoch: OnEpoch | None = None,
        config: TrainConfig | None = None,
    ) -> dict[str, float]:
        """Train ``model`` for ``epochs`` (or until the time budget); return what the training took."""
        cfg = config or self.config
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
