"""A Gaussian-process predictor (gpytorch) behind the same ensemble interface.

``predict`` returns ``n_samples`` joint draws from the posterior, so the
acquisition treats them exactly like ensemble members.
"""

from __future__ import annotations

import numpy as np

from bananas.predictors._base import Predictor


class GPPredictor(Predictor):
    """Exact GP with a scaled Matern-5/2 kernel, hyperparameters fit by Adam on the marginal likelihood.

    Args:
        n_samples: posterior draws returned by ``predict`` (the ensemble size ``s``).
        iters, lr: Adam steps and learning rate for the hyperparameters.
        seed: seeds the posterior draws.
    """

    def __init__(self, *, n_samples: int = 32, iters: int = 100, lr: float = 0.1, seed: int | None = None):
        self.n_samples = n_samples
        self.iters = iters
        self.lr = lr
        self.seed = seed
        self._model = None
        self._y_mean = 0.0
        self._y_std = 1.0

    def fit(self, X: np.ndarray, y: np.ndarray) -> GPPredictor:
        import gpytorch
        import torch

        Xt = torch.as_tensor(X, dtype=torch.float64)
        yt = torch.as_tensor(y, dtype=torch.float64)
        self._y_mean, self._y_std = float(yt.mean()), float(yt.std()) or 1.0
        yt = (yt - self._y_mean) / self._y_std

        class _ExactGP(gpytorch.models.ExactGP):
            def __init__(self) -> None:
                super().__init__(Xt, yt, gpytorch.likelihoods.GaussianLikelihood())
                self.mean_module = gpytorch.means.ConstantMean()
                self.covar_module = gpytorch.kernels.ScaleKernel(gpytorch.kernels.MaternKernel(nu=2.5))

            def forward(self, x):  # noqa: ANN001, ANN202
                return gpytorch.distributions.MultivariateNormal(self.mean_module(x), self.covar_module(x))

        model = _ExactGP().double()
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(model.likelihood, model)
        for _ in range(self.iters):
            opt.zero_grad()
            loss = -mll(model(Xt), yt)
            loss.backward()
            opt.step()
        model.eval()
        self._model = model
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        import gpytorch
        import torch

        if self._model is None:
            raise RuntimeError("call fit(X, y) before predict(X)")
        gen_seed = int(np.random.SeedSequence(self.seed).generate_state(1)[0])
        with torch.no_grad(), gpytorch.settings.fast_pred_var(), torch.random.fork_rng():  # global state restored
            torch.manual_seed(gen_seed)
            draws = self._model(torch.as_tensor(X, dtype=torch.float64)).rsample(torch.Size([self.n_samples]))
        return (draws * self._y_std + self._y_mean).numpy()
