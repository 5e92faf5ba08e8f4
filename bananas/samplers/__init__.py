"""Optuna samplers over a bananas Space: BANANAS and the baselines that share its recording."""

from bananas.samplers._bananas import BananasSampler
from bananas.samplers._base import SpaceSampler
from bananas.samplers._baselines import (
    EvolutionSampler,
    LocalSearchSampler,
    RandomSearchSampler,
    ReinforceSampler,
    ValidProposals,
)
from bananas.samplers._hebo import HeboSampler
from bananas.samplers._oneshot import OneShotSampler

__all__ = [
    "BananasSampler",
    "EvolutionSampler",
    "HeboSampler",
    "LocalSearchSampler",
    "OneShotSampler",
    "RandomSearchSampler",
    "ReinforceSampler",
    "SpaceSampler",
    "ValidProposals",
]
