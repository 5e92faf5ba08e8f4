"""Image datasets for the training evaluator, without torchvision and without downloads.

``digits`` is scikit-learn's bundled 8x8 handwritten digits (1,797 images): it
works anywhere. ``cifar10`` and ``cifar100`` are read from a local folder in
the standard python-pickle format (the ``cifar-10-batches-py`` /
``cifar-100-python`` archives, unpacked). ``fashion-mnist`` is Zalando's
70,000 28x28 clothing images, read from the idx files (gzipped or not) that
Debian's package ``dataset-fashion-mnist`` installs (MIT licence), or from
``--data-dir``. Train, validation and test splits
are fixed by a seed. Images stay ``uint8``; ``augment`` is the standard random
crop with padding and horizontal flip, written with torch ops so it runs on
the training device.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

DATASETS = ("digits", "fashion-mnist", "cifar10", "cifar100")
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # where dataset-fashion-mnist puts its files
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR_FILES = {
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], "test_batch", b"labels"),
    "cifar100": ("cifar-100-python", ["train"], "test", b"fine_labels"),
}


class DataError(ValueError):
    """A dataset that cannot be read: the message says which files were expected."""


@dataclass
class Splits:
    """Images (``n x C x H x W`` uint8) and labels of the train, validation and test splits."""

    train: tuple[torch.Tensor, torch.Tensor]
    valid: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    n_classes: int
    mean: torch.Tensor  # per channel, of the train images, in uint8 units
    std: torch.Tensor
    augment: bool  # whether random crop + flip suit the images (CIFAR yes, 8x8 digits no)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.train[0].shape[1:])

    def to(self, device: torch.device) -> Splits:
        """Return the splits with every tensor on ``device``."""
        move = lambda pair: (pair[0].to(device), pair[1].to(device))  # noqa: E731
        return Splits(
            move(self.train),
            move(self.valid),
            move(self.test),
            self.n_classes,
            self.mean.to(device),
            self.std.to(device),
            self.augment,
        )


def load_dataset(
    name: str, data_dir: str | Path | None = None, *, seed: int = 0, valid_fraction: float = 0.2
) -> Splits:
    """Return the seeded splits of ``name`` (one of ``DATASETS``).

    ``digits``: 60/20/20 train/validation/test. Fashion-MNIST and CIFAR: the
    official test set is the test split; ``valid_fraction`` of the official
    training set is held out for validation.
    """
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x = np.asarray(bunch.images * 255 / 16, dtype=np.uint8)[:, None]  # 0..16 -> 0..255
        y = np.asarray(bunch.target, dtype=np.int64)
        order = np.random.default_rng(seed).permutation(len(y))
        n_test = n_valid = int(0.2 * len(y))
        test, valid, train = np.split(order, [n_test, n_test + n_valid])
        return _splits((x[train], y[train]), (x[valid], y[valid]), (x[test], y[test]), 10, augment=False)
    if name in CIFAR_FILES or name == "fashion-mnist":
        x, y, x_test, y_test, n_classes = (
            _read_cifar(name, data_dir) if name in CIFAR_FILES else _read_fashion(data_dir)
        )
        order = np.random.default_rng(seed).permutation(len(y))
        n_valid = int(valid_fraction * len(y))
        valid, train = order[:n_valid], order[n_valid:]
        augmented = name in CIFAR_FILES  # crops and flips suit CIFAR; Fashion-MNIST trains plain
        return _splits((x[train], y[train]), (x[valid], y[valid]), (x_test, y_test), n_classes, augment=augmented)
    raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


Arrays = tuple[np.ndarray, np.ndarray]


def _splits(train: Arrays, valid: Arrays, test: Arrays, n_classes: int, augment: bool) -> Splits:
    import torch

    tr, va, te = ((torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)) for x, y in (train, valid, test))
    pixels = tr[0].float()
    mean, std = pixels.mean(dim=(0, 2, 3)), pixels.std(dim=(0, 2, 3)).clamp_min(1.0)
    return Splits(tr, va, te, n_classes=n_classes, mean=mean, std=std, augment=augment)


def _read_cifar(name: str, data_dir: str | Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    folder_name, train_files, test_file, label_key = CIFAR_FILES[name]
    expected = f"{folder_name}/{{{', '.join(train_files)}, {test_file}}}"
    if data_dir is None:
        raise DataError(f"{name} is read from a local folder: give --data-dir DIR holding {expected} (python version)")
    root = Path(data_dir)
    folder = root / folder_name if (root / folder_name).is_dir() else root
    missing = [f for f in [*train_files, test_file] if not (folder / f).is_file()]
    if missing:
        raise DataError(f"{name}: {folder} lacks {', '.join(missing)}; expected {expected} (the python-pickle format)")

    def read(file: str) -> tuple[np.ndarray, np.ndarray]:
        try:
            with open(folder / file, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            labels = np.asarray(batch[label_key], dtype=np.int64)
        except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError) as err:
            raise DataError(
                f"{name}: {folder / file} is not a CIFAR python-pickle batch ({type(err).__name__}: {err}); "
                f"expected a dict with b'data' (n x 3072 uint8) and {label_key!r}"
            ) from None
        if len(data) != len(labels):
            raise DataError(f"{name}: {folder / file} has {len(data)} images but {len(labels)} labels")
        return data, labels

    parts = [read(f) for f in train_files]
    x_test, y_test = read(test_file)
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return x, y, x_test, y_test, 100 if name == "cifar100" else 10


def _read_fashion(data_dir: str | Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    folder = Path(data_dir or FASHION_MNIST_DIR)
    found: dict[str, Path] = {}
    for stem in (s for pair in IDX_FILES.values() for s in pair):
        path = next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)
        if path is None:
            raise DataError(
                f"fashion-mnist: {folder} lacks {stem}(.gz); install Debian's package dataset-fashion-mnist "
                f"(apt install dataset-fashion-mnist, files in {FASHION_MNIST_DIR}) or give --data-dir DIR "
                "holding the four idx files"
            )
        found[stem] = path
    (xs, ys), (xt, yt) = ((read_idx(found[i]), read_idx(found[lab])) for i, lab in IDX_FILES.values())
    for images, labels, part in ((xs, ys, "train"), (xt, yt, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"fashion-mnist: the {part} idx files hold {images.shape} images and {labels.shape} labels")
    return xs[:, None], ys.astype(np.int64), xt[:, None], yt.astype(np.int64), 10


def read_idx(path: Path) -> np.ndarray:
    """Return the uint8 array of an idx file (the MNIST format; gzipped when its name ends in ``.gz``)."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
        zero, kind, ndim = data[0:2], data[2], data[3]
        if zero != b"\0\0" or kind != 0x08:
            raise ValueError("not an idx file of unsigned bytes")
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(bytearray(data), dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, ValueError, IndexError, EOFError) as err:
        raise DataError(f"{path} cannot be read as an idx file ({err}); expected the MNIST idx format") from None


def augment(images: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Return a random crop (after zero padding) and a random horizontal flip of each image."""
    import torch

    n, _, h, w = images.shape
    device = images.device
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator, device=device)
    dx = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator, device=device)
    rows = (dy + torch.arange(h, device=device))[:, :, None]  # n x h x 1
    cols = dx + torch.arange(w, device=device)  # n x w
    flip = torch.rand(n, generator=generator, device=device) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, :]  # n x 1 x w
    batch = torch.arange(n, device=device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
