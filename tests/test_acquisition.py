import numpy as np
import pytest

from bananas.acquisition import ACQUISITIONS, select


class TablePredictor:
    """Predicts from a fixed members table: row r of X is candidate X[r, 0]."""

    def __init__(self, members: np.ndarray) -> None:
        self.members = members

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.members[:, X[:, 0].astype(int)]


def _pool(n: int) -> np.ndarray:
    return np.arange(n, dtype=float)[:, None]


def test_ei_takes_the_clear_winner_first(rng):
    members = np.tile(np.array([1.0, 2.0, 5.0, 3.0]), (5, 1)) + rng.normal(0, 0.01, (5, 4))
    sel = select(TablePredictor(members), _pool(4), 1, acquisition="ei", best_f=2.5, rng=rng)
    assert sel.indices.tolist() == [2]
    assert sel.mean[0] == pytest.approx(5.0, abs=0.05)


def test_ei_batch_is_diverse_not_top_k(rng):
    # Candidates 0 and 1 are near-duplicates (the same member values); 2 wins where they lose.
    members = np.array([[5.0, 5.0, 0.0], [5.0, 5.0, 0.0], [0.0, 0.0, 4.9], [0.0, 0.0, 4.9]])
    sel = select(TablePredictor(members), _pool(3), 2, acquisition="ei", best_f=1.0, rng=rng)
    assert sorted(sel.indices.tolist()) == [0, 2] or sorted(sel.indices.tolist()) == [1, 2]
    top_k = np.argsort(-members.mean(0))[:2]
    assert sorted(top_k.tolist()) == [0, 1]  # what a plain top-k would have taken


def test_pending_points_steer_the_batch(rng):
    members = np.array([[5.0, 5.0, 0.0], [5.0, 5.0, 0.0], [0.0, 0.0, 4.9], [0.0, 0.0, 4.9]])
    pool = _pool(3)
    sel = select(TablePredictor(members), pool[[1, 2]], 1, acquisition="ei", best_f=1.0, X_pending=pool[[0]], rng=rng)
    assert sel.indices.tolist() == [1]  # pool row 1 is candidate 2: candidate 1 duplicates the pending 0


@pytest.mark.parametrize("name", ACQUISITIONS)
def test_every_acquisition_returns_distinct_picks(rng, name):
    members = rng.normal(size=(5, 40))
    sel = select(TablePredictor(members), _pool(40), 8, acquisition=name, best_f=0.5, rng=rng)
    assert len(set(sel.indices.tolist())) == 8
    assert ((0 <= sel.indices) & (sel.indices < 40)).all()


def test_unknown_acquisition_lists_the_choices(rng):
    with pytest.raises(ValueError, match="ei, ucb"):
        select(None, _pool(3), 1, acquisition="xx", best_f=0.0, rng=rng)


def test_the_member_sampler_reads_every_member_once():
    """qLogEI over the ensemble is the exact mean over its members (public BoTorch API only)."""
    import torch
    from botorch.acquisition import qSimpleRegret

    from bananas._botorch import MemberSampler, TableEnsembleModel

    members = torch.tensor([[1.0, 5.0, 2.0], [3.0, 1.0, 2.0], [2.0, 0.0, 8.0]], dtype=torch.float64)  # s=3, n=3
    model = TableEnsembleModel(members)
    X = torch.arange(3, dtype=torch.float64).view(3, 1, 1)  # 3 batches of one candidate each
    samples = MemberSampler(3)(model.posterior(X))
    assert samples.shape == (3, 3, 1, 1) and torch.equal(samples[..., 0, 0], members)
    value = qSimpleRegret(model, sampler=MemberSampler(3))(X)
    assert torch.allclose(value, members.mean(dim=0))  # the ensemble mean, not a random subset of members
