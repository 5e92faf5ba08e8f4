"""Spaces of params (a study's, or hyperparameters beside a cell) and their encodings."""

import numpy as np
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from bananas.encodings import encoder_for
from bananas.spaces import NB101Space
from bananas.spaces.joint import JointSpace
from bananas.spaces.params import ParamSpace, features, from_unit, to_unit

DISTS = {
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "drop": FloatDistribution(0.0, 0.5, step=0.1),
    "width": IntDistribution(8, 64, step=8),
    "layers": IntDistribution(1, 100, log=True),
    "act": CategoricalDistribution(["relu", "gelu", None]),
}


def test_values_keep_to_their_distributions_and_types():
    space = ParamSpace(DISTS)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(200)]
    archs += [space.mutate(a, rng, edits=3) for a in archs] + [n for a in archs[:20] for n in space.neighbors(a)]
    for arch in archs:
        assert space.is_valid(arch), arch
        params = space.to_params(arch)
        assert type(params["lr"]) is float and type(params["width"]) is int and type(params["layers"]) is int
        assert abs(params["drop"] * 10 - round(params["drop"] * 10)) < 1e-9 and params["width"] % 8 == 0
        assert space.from_string(space.to_string(arch)) == arch
    lrs = np.log10([space.to_params(a)["lr"] for a in archs[:200]])
    assert lrs.min() < -3 and lrs.max() > -1  # drawn on the log scale


def test_unit_scale_round_trips_and_clips():
    lr = DISTS["lr"]
    assert to_unit(lr, 1e-4) == 0.0 and abs(to_unit(lr, 1e-2) - 0.5) < 1e-12
    assert from_unit(lr, 2.0) == 1.0 and from_unit(DISTS["width"], 0.51) == 40
    row = features(DISTS, {"lr": 1e-2, "drop": 0.5, "width": 8, "layers": 1, "act": None})
    assert row.tolist() == pytest.approx([0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])


def test_a_joint_space_encodes_moves_and_names_both_parts():
    space = JointSpace(NB101Space(), {"lr": DISTS["lr"], "channels": DISTS["width"]})
    rng = np.random.default_rng(1)
    archs = [space.sample(rng) for _ in range(20)]
    encoder = encoder_for("path", space)
    X = encoder.transform(archs)
    cell_columns = encoder_for("path", space.cell).n_features
    assert X.shape == (20, cell_columns + 2)
    assert np.allclose(X[:, -1], [to_unit(DISTS["width"], space.settings(a)["channels"]) for a in archs])
    arch = archs[0]
    moved = space.neighbors(arch)
    assert any(m[1] == arch[1] for m in moved) and any(m[0] == arch[0] for m in moved)
    assert space.from_string(space.to_string(arch)) == arch
    assert set(space.to_params(arch)) == set(space.cell.distributions()) | {"lr", "channels"}
    with pytest.raises(ValueError, match="share a name"):
        JointSpace(NB101Space(), {"op_1": DISTS["act"]})


def test_a_space_of_params_is_encoded_by_its_params_alone():
    space = ParamSpace(DISTS)
    X = encoder_for("path", space).transform([space.sample(np.random.default_rng(2)) for _ in range(5)])
    assert X.shape == (5, 4 + 3) and np.all(X[:, 4:].sum(axis=1) == 1)
