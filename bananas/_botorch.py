"""The BoTorch pieces of the acquisition (imported lazily: BoTorch is slow to import).

Letters: ``b`` batch of candidate sets, ``q`` points per set, ``s`` ensemble members, ``m`` objectives.

The ensemble's predictions become a BoTorch ``EnsembleModel`` whose input is a
row index into a member table, and a sampler that reads every member once.
Only public BoTorch API: ``EnsembleModel.forward``, ``MCSampler.forward`` and
``EnsemblePosterior.rsample_from_base_samples``.
"""

from __future__ import annotations

import torch
from botorch.models.ensemble import EnsembleModel
from botorch.posteriors import Posterior
from botorch.posteriors.ensemble import EnsemblePosterior
from botorch.sampling.base import MCSampler


class TableEnsembleModel(EnsembleModel):
    """Member predictions looked up by row: ``X[..., 0]`` indexes the ``s x n`` (one objective) or
    ``s x n x m`` table ``members``."""

    def __init__(self, members: torch.Tensor) -> None:
        super().__init__()
        self.members = members if members.ndim == 3 else members.unsqueeze(-1)
        self._num_outputs = self.members.shape[-1]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """A ``b x q x 1`` tensor of row indices to the ``b x s x q x m`` member predictions.

        Indices are clamped to the table: with no feasible observation, BoTorch estimates a lower
        bound of the objective at random points of the inputs' bounding box, here any row."""
        rows = X[..., 0].long().clamp(0, self.members.shape[1] - 1)
        return self.members[:, rows].movedim(0, -3)


class MemberSampler(MCSampler):
    """Samples that are the ``s`` members themselves, each once.

    BoTorch's ``IndexSampler`` draws members at random per candidate; with a
    small ensemble that adds noise and wastes work. Enumerating the members
    gives the exact ensemble expectation with ``s`` samples.
    """

    def __init__(self, n_members: int) -> None:
        super().__init__(torch.Size([n_members]))

    def forward(self, posterior: Posterior) -> torch.Tensor:
        """The ``s x b x q x m`` member values of an ensemble ``posterior``."""
        assert isinstance(posterior, EnsemblePosterior), "MemberSampler reads ensemble posteriors only"
        shape = self.sample_shape + posterior.batch_shape
        idx = torch.arange(self.sample_shape[0], device=posterior.device)
        members = idx.view(-1, *[1] * len(posterior.batch_shape)).expand(shape)
        return posterior.rsample_from_base_samples(self.sample_shape, members)

    def _update_base_samples(self, posterior: Posterior, base_sampler: MCSampler) -> None:
        """Nothing to carry over: sample ``i`` is member ``i`` at every point, baseline or new, so the
        samples of BoTorch's noisy (cached-baseline) acquisitions stay consistent by construction."""
        self._instance_check(base_sampler)
