"""Optuna samplers over a bananas Space: BANANAS and the baselines that share its recording."""

from bananas.samplers._bananas import BananasSampler
from bananas.samplers._base import EvolutionSampler, RandomSearchSampler, SpaceSampler

__all__ = ["BananasSampler", "EvolutionSampler", "RandomSearchSampler", "SpaceSampler"]
