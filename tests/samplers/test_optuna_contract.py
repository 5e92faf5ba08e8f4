"""Optuna's own sampler contract, shipped in the optuna wheel, run against ``BananasSampler()`` without a
space (the study's params) and against the baselines that share its glue."""

import pytest
from optuna.testing.pytest_samplers import BasicSamplerTestCase, RelativeSamplerTestCase

from bananas.samplers import BananasSampler, EvolutionSampler, RandomSearchSampler

FACTORIES = {
    # a small start and batch, so that the contract's short studies reach the model and the pool
    "bananas": lambda: BananasSampler(seed=0, n_startup_trials=2, batch_size=2, predictor_options={"n_members": 2}),
    "random": lambda: RandomSearchSampler(seed=0),
    "re": lambda: EvolutionSampler(seed=0, population_size=4, tournament_size=2),
}


class _Ours:
    @pytest.fixture(params=list(FACTORIES))
    def sampler(self, request):
        return FACTORIES[request.param]


class TestBasic(_Ours, BasicSamplerTestCase):
    pass


class TestRelative(_Ours, RelativeSamplerTestCase):
    pass
