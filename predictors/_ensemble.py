"""An ensemble of MLPs trained together as one batched model.

All members share one set of stacked weight tensors (``s x d_in x d_out``)
and train in the same ``torch.bmm`` calls, each on its own shuffle of the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bananas.predictors._base import Predictor


class MLPEnsemble(Predictor):
    """BANANAS's predictor: ``n_members`` MLPs with MAE loss and Adam.

    Defaults are the paper's (Adam lr 0.01, batch 32, MAE) except the shape
    and size: 3 x 32 for 100 epochs ranked NAS-Bench-Graph as well as the
    paper's 10 x 20 for 200 epochs (Kendall tau within 0.01 on the five
    development datasets) at a quarter of the fit time, and 10 members
    instead of 5 give the batch acquisition more posterior samples to spread
    over (members train together, so this costs little).

    A fit makes at most ``steps`` Adam updates: up to 160 observations that
    is all 100 epochs in batches of 32; with more, fewer passes, in batches
    that grow so that there are at least ``min_epochs``, so a fit's cost stops
    growing with the study (a whole BO iteration on one CPU thread: 0.84 s at
    150 observations, 1.09 s at 2,000 instead of 8.5 s). ``steps=100``, a fit
    of a fifth of the updates, makes it 0.40 s at 150 observations, for a
    slightly worse search (docs/benchmarks.md, "The BO step").

    Several targets (``y`` of ``n x m``) train one ensemble with ``m`` outputs
    (``multi_output``): the members share their hidden layers across targets,
    and ``predict`` gives ``s x n x m``.

    Args:
        n_members: ensemble size ``s``.
        n_layers, width: hidden layers and their width.
        lr, epochs, batch_size: Adam learning rate, passes over the data, minibatch size.
        steps: Adam updates per fit at most (fewer passes than ``epochs`` beyond them).
        min_epochs: passes at least, the batches growing past ``batch_size`` where ``steps`` needs it.
        seed: seeds the weight init and the shuffles.
    """

    multi_output = True

    def __init__(
        self,
        *,
        n_members: int = 10,
        n_layers: int = 3,
        width: int = 32,
        lr: float = 0.01,
        epochs: int = 100,
        batch_size: int = 32,
        steps: int = 500,
        min_epochs: int = 20,
        seed: int | None = None,
    ) -> None:
        self.n_members = n_members
        self.n_layers = n_layers
        self.width = width
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.steps = steps
        self.min_epochs = min_epochs
        self.seed = seed
        self._weights: list = []
        self._biases: list = []
        self._y_mean: Any = 0.0
        self._y_std: Any = 1.0
        self._columns = False  # whether y had a column per target
        self._keep: np.ndarray | None = None

    def _forward(self, X):  # noqa: ANN001, ANN202
        """``s x n x d`` tensor to ``s x n x m`` predictions (standardized units)."""
        import torch

        h = X
        for i, (w, b) in enumerate(zip(self._weights, self._biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < len(self._weights) - 1:
                h = torch.relu(h)
        return h

    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPEnsemble:
        import torch

        gen = torch.Generator().manual_seed(int(np.random.SeedSequence(self.seed).generate_state(1)[0]))
        # Columns constant over the training set carry no signal; dropping them makes
        # sparse encodings (thousands of path columns, few seen) cheap and less noisy.
        self._keep = np.flatnonzero(X.min(axis=0) != X.max(axis=0)) if len(X) > 1 else np.arange(X.shape[1])
        Xt = torch.as_tensor(X[:, self._keep], dtype=torch.float32)
        y = np.asarray(y)
        self._columns = y.ndim == 2
        yt = torch.as_tensor(y.reshape(len(y), -1), dtype=torch.float32)
        self._y_mean = yt.mean(dim=0)
        self._y_std = yt.std(dim=0) if len(yt) > 1 else torch.ones(yt.shape[1])
        self._y_std = torch.where(self._y_std > 0, self._y_std, 1.0)
        yt = (yt - self._y_mean) / self._y_std
        s, n = self.n_members, len(Xt)
        dims = [Xt.shape[1]] + [self.width] * self.n_layers + [yt.shape[1]]
        self._weights, self._biases = [], []
        for d_in, d_out in zip(dims[:-1], dims[1:], strict=True):
            bound = 1.0 / d_in**0.5  # torch.nn.Linear's default init
            w = (torch.rand(s, d_in, d_out, generator=gen) * 2 - 1) * bound
            b = (torch.rand(s, 1, d_out, generator=gen) * 2 - 1) * bound
            self._weights.append(w.requires_grad_())
            self._biases.append(b.requires_grad_())
        opt = torch.optim.Adam(self._weights + self._biases, lr=self.lr, fused=True)
        bs = min(n, max(self.batch_size, -(-self.min_epochs * n // self.steps)))
        updates = min(self.steps, self.epochs * -(-n // bs))
        while updates > 0:
            perm = torch.argsort(torch.rand(s, n, generator=gen), dim=1)
            for start in range(0, min(n, updates * bs), bs):
                idx = perm[:, start : start + bs]
                loss = (self._forward(Xt[idx]) - yt[idx]).abs().mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            updates -= -(-n // bs)
        for p in self._weights + self._biases:
            p.requires_grad_(False)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        if not self._weights:
            raise RuntimeError("call fit(X, y) before predict(X)")
        Xt = torch.as_tensor(X[:, self._keep], dtype=torch.float32).expand(self.n_members, -1, -1)
        with torch.no_grad():
            out = self._forward(Xt)
        out = (out * self._y_std + self._y_mean).numpy().astype(np.float64)
        return out if self._columns else out[..., 0]
