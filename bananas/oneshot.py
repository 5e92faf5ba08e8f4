"""One-shot architecture search on the NAS-Bench-201 supernet (``bananas.supernet``), free of Optuna.

Three methods, each a ``OneShot.search(seed)`` that trains a supernet on the
training evaluator's data and returns the derived architecture (which the
search then trains standalone, like any other):

- ``random-ws``: random sampling with weight sharing (Li & Talwalkar, 2019): each
  weight step trains one uniformly drawn path; at the end ``n_candidates``
  random architectures are scored with the inherited weights (validation
  cross-entropy, ``rank_score``) and the best is derived.
- ``darts``: first-order DARTS (Liu et al., 2019): per step, an architecture step
  (Adam on ``alpha``) on a validation batch, then a weight step (SGD) on a
  training batch, both through the mixed supernet; the derived architecture
  takes the strongest op per edge (``none`` included, as NB-201's DARTS runs).
- ``cdarts``: a cyclic variant after Cyclic-DARTS (Yu et al., 2020). The search
  network is the supernet; the evaluation network is a deeper standalone
  network (``eval_depth`` times the cells per stage) of the currently derived
  cell. Per step: a weight step of the search network, a weight step of the
  evaluation network, then an architecture step on a validation batch whose
  loss adds to the cross-entropy the distillation of the evaluation network's
  softened outputs into the search network's (KL divergence, temperature
  ``temperature``, weight ``distill``). When the derived cell changes (checked
  every epoch), the evaluation network is rebuilt and keeps the weights whose
  names and shapes match. The first ``warmup`` fraction of the epochs trains
  both networks' weights only (the paper pre-trains both before the cycle;
  with weight ``distill`` 1 the distillation drove every run here to all-skip
  cells, and the warm-up alone did not stop it; 0.1 with the warm-up did, see
  docs/benchmarks.md). Departures from the paper: first-order updates, one
  ``alpha`` shared by every cell (NB-201 cells are all alike), the warm-up is
  part of the supernet epochs, and the evaluation network is a deeper NB-201
  network rather than a DARTS-space network.

Every method reports the supernet's validation accuracy after each epoch
(``on_epoch``; the mixed network for DARTS, a random path for random-ws, on
``score_images`` validation images) and raises ``bananas.trainer.Diverged``
for a non-finite loss. ``rank_score`` is the near-free fidelity that
``bananas.fidelity.SupernetFidelity`` gives BANANAS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from bananas.evaluators import OnEpoch
from bananas.spaces.nb201 import NB201Space
from bananas.supernet import Supernet
from bananas.trainer import Diverged, Trainer


@dataclass
class OneShotConfig:
    """How the supernet is trained (the weights' batch size, learning rate, channels and cells per stage
    are the training evaluator's)."""

    epochs: int = 10  # supernet epochs
    arch_lr: float = 3e-3  # Adam on alpha: DARTS's 3e-4 is for ~20,000 steps; ours are short schedules
    arch_weight_decay: float = 1e-3
    n_candidates: int = 100  # random-ws: architectures scored with the inherited weights
    eval_depth: int = 2  # cdarts: the evaluation network has eval_depth x the cells per stage
    distill: float = 0.1  # cdarts: weight of the distillation term (1.0 collapsed every run to all-skip cells)
    temperature: float = 2.0
    warmup: float = 0.5  # cdarts: the first half of the epochs train weights only (as the paper's pre-training)
    score_images: int = 1000  # validation images that score an architecture with inherited weights

    def __post_init__(self) -> None:
        for name in ("epochs", "n_candidates", "eval_depth", "score_images"):
            if getattr(self, name) < 1:
                raise ValueError(f"supernet {name} must be at least 1, got {getattr(self, name)}")


def one_shot_config(epochs: int | None = None, **settings: Any) -> OneShotConfig:
    """``OneShotConfig`` with ``settings``, and ``epochs`` supernet epochs where given (None: the default)."""
    return OneShotConfig(**settings) if epochs is None else OneShotConfig(epochs=epochs, **settings)


class OneShot:
    """A one-shot ``method`` (``"darts"``, ``"cdarts"`` or ``"random-ws"``: ``STEPS``) with the training
    evaluator's ``trainer``."""

    def __init__(self, method: str, space: NB201Space, trainer: Trainer, config: OneShotConfig | None = None) -> None:
        if method not in STEPS:
            raise ValueError(f"unknown one-shot method {method!r}; choose one of {', '.join(STEPS)}")
        if not isinstance(space, NB201Space):
            raise ValueError(f"one-shot search needs the nb201 space (edge-op cells), not {space.name!r}")
        self.method, self.space, self.trainer = method, space, trainer
        self.config = config or OneShotConfig()
        self.supernet: Supernet | None = None
        self.seconds = 0.0

    def build(self, seed: int) -> Supernet:
        """A supernet seeded with ``seed`` on the trainer's device."""
        cfg, splits = self.trainer.config, self.trainer.splits
        torch.manual_seed(seed)
        net = Supernet(
            in_channels=splits.shape[0],
            n_classes=splits.n_classes,
            channels=cfg.channels,
            n_cells=cfg.n_cells,
        )
        return net.to(self.trainer.device, memory_format=self.trainer.memory_format)  # type: ignore[call-overload]

    def search(self, seed: int, on_epoch: OnEpoch | None = None) -> tuple[str, ...]:
        """Train a supernet from ``seed`` and return the derived architecture (canonical)."""
        start = time.perf_counter()
        rng = self.train(seed, on_epoch)
        arch = self._derive(rng)
        self.seconds = time.perf_counter() - start
        return arch

    def train(self, seed: int, on_epoch: OnEpoch | None = None) -> np.random.Generator:
        """Train a supernet from ``seed`` (``self.supernet``); return the random generator it used."""
        net = self.supernet = self.build(seed)
        rng = np.random.default_rng(seed)
        step = getattr(self, STEPS[self.method])
        state = _State(net, self.trainer, self.config, seed)
        if self.method == "cdarts":
            state.refresh_evaluation_network(self.space)
        for epoch in range(1, self.config.epochs + 1):
            state.warm = epoch <= self.config.warmup * self.config.epochs
            loss_sum = torch.zeros((), device=self.trainer.device)
            for images, labels in self._batches(self.trainer.splits.train, state.gen):
                loss_sum += step(state, images, labels, rng)
                state.schedule.step()
            if not torch.isfinite(loss_sum):
                raise Diverged(f"supernet training loss is {float(loss_sum)} in epoch {epoch}")
            if self.method == "cdarts":
                state.refresh_evaluation_network(self.space)
            if on_epoch is not None:
                path = self.space.sample(rng) if self.method == "random-ws" else None
                on_epoch(epoch, self.accuracy(path))
        return rng

    @torch.no_grad()
    def scores(self, arch: Sequence[str] | None = None) -> tuple[float, float]:
        """Validation accuracy (percent) and mean cross-entropy on ``score_images`` images of the trained
        supernet: mixed, or the path of ``arch`` with the inherited weights; batch statistics in the
        normalization layers."""
        assert self.supernet is not None, "train a supernet first (search)"
        net, n = self.supernet, self.config.score_images
        x, y = (t[:n] for t in self.trainer.splits.valid)
        net.train()  # batch statistics: the running ones mix every path
        correct, loss = 0, 0.0
        for start in range(0, len(y), 500):
            with torch.autocast(self.trainer.device.type, enabled=self.trainer.amp):
                logits = net(self.trainer.prepare(x[start : start + 500]), arch).float()
            correct += int((logits.argmax(1) == y[start : start + 500]).sum())
            loss += float(F.cross_entropy(logits, y[start : start + 500], reduction="sum"))
        return 100.0 * correct / len(y), loss / len(y)

    def accuracy(self, arch: Sequence[str] | None = None) -> float:
        """The validation accuracy of ``scores`` (percent)."""
        return self.scores(arch)[0]

    def rank_score(self, arch: Sequence[str]) -> float:
        """How good ``arch`` looks with the inherited weights: minus its validation cross-entropy, a far
        better ranking of standalone training than the accuracy (docs/benchmarks.md, "One-shot search")."""
        return -self.scores(arch)[1]

    def _derive(self, rng: np.random.Generator) -> tuple[str, ...]:
        assert self.supernet is not None
        if self.method != "random-ws":
            return self.space.canonical(self.supernet.derive())
        n = self.config.n_candidates
        candidates = self.space.unique(self.space.sample(rng) for _ in range(20 * n))[:n]
        return self.space.canonical(max(candidates, key=self.rank_score))

    def _batches(
        self, split: tuple[torch.Tensor, torch.Tensor], gen: torch.Generator
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        from bananas.datasets import augment

        x, y = split
        bs, order = self.trainer.config.batch_size, torch.randperm(len(y), generator=gen, device=self.trainer.device)
        for i in range(0, len(y), bs):
            idx = order[i : i + bs]
            images = augment(x[idx], gen) if self.trainer.splits.augment else x[idx]
            yield self.trainer.prepare(images), y[idx]

    # -- one step of each method (returns the weight step's loss) ------------------------------------
    def _random_ws_step(self, state: _State, x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> Any:
        return state.weight_step(state.net, state.opt, lambda: F.cross_entropy(state.net(x, self.space.sample(rng)), y))

    def _darts_step(self, state: _State, x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> Any:
        xv, yv = state.next_valid(self)
        state.arch_step(lambda: F.cross_entropy(state.net(xv), yv))
        return state.weight_step(state.net, state.opt, lambda: F.cross_entropy(state.net(x), y))

    def _cdarts_step(self, state: _State, x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> Any:
        loss = state.weight_step(state.net, state.opt, lambda: F.cross_entropy(state.net(x), y))
        assert state.eval_net is not None and state.eval_opt is not None
        state.weight_step(state.eval_net, state.eval_opt, lambda: F.cross_entropy(state.eval_net(x), y))  # type: ignore[misc]
        if state.warm:
            return loss  # the warm-up trains both networks' weights only
        xv, yv = state.next_valid(self)
        with torch.no_grad():
            teacher = F.softmax(state.eval_net(xv).float() / self.config.temperature, dim=-1)
        t2 = self.config.temperature**2

        def arch_loss() -> torch.Tensor:
            logits = state.net(xv)
            student = F.log_softmax(logits.float() / self.config.temperature, dim=-1)
            return F.cross_entropy(logits, yv) + self.config.distill * t2 * F.kl_div(
                student, teacher, reduction="batchmean"
            )

        state.arch_step(arch_loss)
        return loss


STEPS = {"darts": "_darts_step", "cdarts": "_cdarts_step", "random-ws": "_random_ws_step"}  # method -> step


class _State:
    """The optimizers, schedule, data order and (cdarts) evaluation network of one supernet training."""

    def __init__(self, net: Supernet, trainer: Trainer, config: OneShotConfig, seed: int) -> None:
        self.net, self.trainer, self.config = net, trainer, config
        cfg = trainer.config
        steps = config.epochs * math.ceil(len(trainer.splits.train[1]) / cfg.batch_size)
        self.opt = torch.optim.SGD(
            net.weights(), lr=cfg.learning_rate, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
        )
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=steps)
        self.arch_opt = torch.optim.Adam(
            [net.alpha], lr=config.arch_lr, betas=(0.5, 0.999), weight_decay=config.arch_weight_decay
        )
        self.scaler = torch.amp.GradScaler(trainer.device.type, enabled=trainer.amp)
        self.arch_scaler = torch.amp.GradScaler(trainer.device.type, enabled=trainer.amp)
        self.gen = torch.Generator(device=trainer.device).manual_seed(seed)
        self._valid: Iterator[tuple[torch.Tensor, torch.Tensor]] = iter(())
        self.eval_net: torch.nn.Module | None = None
        self.eval_opt: torch.optim.Optimizer | None = None
        self.eval_arch: tuple[str, ...] | None = None
        self.seed = seed
        self.warm = False  # (cdarts) in the warm-up epochs: no architecture steps

    def weight_step(self, net: torch.nn.Module, opt: torch.optim.Optimizer, loss_fn: Callable[[], Any]) -> Any:
        net.train()
        with torch.autocast(self.trainer.device.type, enabled=self.trainer.amp):
            loss = loss_fn()
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(opt)
        self.scaler.update()
        return loss.detach()

    def arch_step(self, loss_fn: Callable[[], Any]) -> None:
        self.net.train()
        with torch.autocast(self.trainer.device.type, enabled=self.trainer.amp):
            loss = loss_fn()
        self.arch_opt.zero_grad(set_to_none=True)
        self.arch_scaler.scale(loss).backward()
        self.arch_scaler.step(self.arch_opt)
        self.arch_scaler.update()

    def next_valid(self, shot: OneShot) -> tuple[torch.Tensor, torch.Tensor]:
        """The next validation batch (the validation split cycled)."""
        batch = next(self._valid, None)
        if batch is None:
            self._valid = shot._batches(self.trainer.splits.valid, self.gen)
            batch = next(self._valid)
        return batch

    def refresh_evaluation_network(self, space: NB201Space) -> None:
        """(cdarts) Build the evaluation network of the derived cell when it changed, keeping the weights
        that still fit."""
        from bananas.training import inherit

        arch = space.canonical(self.net.derive())
        if arch == self.eval_arch:
            return
        splits, cfg = self.trainer.splits, self.trainer.config
        old = self.eval_net.state_dict() if self.eval_net is not None else None
        torch.manual_seed(self.seed + 1)
        net = space.network(
            arch,
            in_channels=splits.shape[0],
            n_classes=splits.n_classes,
            channels=cfg.channels,
            n_cells=cfg.n_cells * self.config.eval_depth,
        ).to(self.trainer.device, memory_format=self.trainer.memory_format)
        if old is not None:
            inherit(net, old)
        self.eval_net, self.eval_arch = net, arch
        self.eval_opt = torch.optim.SGD(
            net.parameters(), lr=cfg.learning_rate, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
        )
