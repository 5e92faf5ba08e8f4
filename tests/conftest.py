import numpy as np
import optuna
import pytest
import torch

from bananas.spaces import NBGraphSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cora() -> NBGraphSpace:
    return NBGraphSpace("cora")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
