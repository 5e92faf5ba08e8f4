"""Training throughput (images/s): bananas' training loop against a bare PyTorch loop, same model and device.

    python scripts/train_throughput.py --data digits            # the digits images, CPU or GPU
    python scripts/train_throughput.py --data cifar --steps 300  # CIFAR-shaped random tensors (AMP on CUDA)

The bare loop draws its batches from float tensors already on the device and
does forward, loss, backward and step: nothing else. Ours (``Trainer.fit``)
adds what a real evaluation needs: a shuffle per epoch, uint8 -> normalized
float per batch, the cosine schedule, the loss check, and (``--augment``) random
crop + flip. Both use the same precision and memory format (AMP and
channels_last on CUDA). The two run back to back, ``--repeats`` times; the
ratio is the median over those pairs (robust to a busy machine).
"""

from __future__ import annotations

import argparse
import math
import time
from functools import partial
from statistics import median

import torch
import torch.nn.functional as F

from bananas.datasets import Splits, load_dataset
from bananas.nets import Network
from bananas.spaces.nb201 import from_string
from bananas.trainer import Trainer, pick_device
from bananas.training import TrainConfig

ARCH = from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")


def random_cifar(n: int, seed: int = 0) -> Splits:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    small = (x[:512], y[:512])
    return Splits((x, y), small, small, 10, torch.full((3,), 127.0), torch.full((3,), 64.0), augment=False)


def bare_loop(trainer: Trainer, steps: int, seed: int) -> float:
    """images/s of the plainest loop over the same model."""
    x_all, y_all = trainer.splits.train
    bs = trainer.config.batch_size
    x_all = trainer.prepare(x_all)  # normalized once, up front: the bare loop does no data work
    model = trainer.build(partial(Network, ARCH), seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scaler = torch.amp.GradScaler(trainer.device.type, enabled=trainer.amp)
    model.train()
    n_batches = len(y_all) // bs

    def step(i: int) -> None:
        j = (i % n_batches) * bs
        with torch.autocast(trainer.device.type, enabled=trainer.amp):
            loss = F.cross_entropy(model(x_all[j : j + bs]), y_all[j : j + bs])
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    for i in range(min(10, steps)):  # warm-up (cuDNN autotuning, allocator)
        step(i)
    sync(trainer.device)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    sync(trainer.device)
    return steps * bs / (time.perf_counter() - start)


def our_loop(trainer: Trainer, steps: int, seed: int) -> float:
    """images/s of ``Trainer.fit`` for about ``steps`` steps (whole epochs)."""
    n = len(trainer.splits.train[1])
    epochs = max(1, round(steps * trainer.config.batch_size / n))
    model = trainer.build(partial(Network, ARCH), seed)
    trainer.fit(model, 1, seed)  # warm-up
    return trainer.fit(model, epochs, seed)["images_per_second"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=("digits", "cifar"), default="digits")
    p.add_argument("--device", default="auto")
    p.add_argument("--channels", type=int, default=None, help="default: 8 for digits, 16 for cifar")
    p.add_argument("--cells", type=int, default=None, help="default: 1 for digits, 5 for cifar")
    p.add_argument("--batch-size", type=int, default=None, help="default: 32 for digits, 256 for cifar")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--augment", action="store_true", help="our loop with random crop + flip")
    args = p.parse_args()
    cifar = args.data == "cifar"
    device = pick_device(args.device)
    config = TrainConfig(
        channels=args.channels or (16 if cifar else 8),
        n_cells=args.cells or (5 if cifar else 1),
        batch_size=args.batch_size or (256 if cifar else 32),
        device=str(device),
    )
    n = max(config.batch_size * math.ceil(args.steps / 4), 2048) if cifar else 0
    splits = (random_cifar(n) if cifar else load_dataset("digits")).to(device)
    splits.augment = cifar and args.augment
    trainer = Trainer(splits, config, device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(
        f"{args.data}: {tuple(splits.shape)} images, C={config.channels} N={config.n_cells}, "
        f"batch {config.batch_size}, {name}, AMP {'on' if trainer.amp else 'off'}, augment {splits.augment}"
    )
    bare, ours = [], []
    for r in range(args.repeats):
        bare.append(bare_loop(trainer, args.steps, r))
        ours.append(our_loop(trainer, args.steps, r))
    for name, runs in (("bare PyTorch loop", bare), ("bananas Trainer", ours)):
        print(f"{name:18s} {median(runs):10.0f} images/s  (median; runs: {', '.join(f'{v:.0f}' for v in runs)})")
    ratios = [o / b for o, b in zip(ours, bare, strict=True)]
    print(f"ours / bare        {median(ratios):10.3f}  (median of the {args.repeats} back-to-back pairs)")


if __name__ == "__main__":
    main()
