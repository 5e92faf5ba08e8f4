"""A search space of your own: an NAS-Bench-101-style cell of your PyTorch ops, with the learning rate
and the width searched beside it. Not a script: a file that declares ``SPACE``, used as

    bananas search --space scripts/my_space.py:SPACE --evaluator train --dataset fashion-mnist \\
        --budget 40 --epochs 1 --train-subset 5000

and imported by scripts/own_space_search.py (the same search in a plain Optuna study).
"""

from optuna.distributions import FloatDistribution, IntDistribution
from torch import nn

from bananas.spaces import CellSpace
from bananas.spaces.joint import JointSpace


def conv_bn_relu(kernel: int):
    """A factory of the op: channels -> a module that keeps the input's shape."""
    return lambda c: nn.Sequential(
        nn.Conv2d(c, c, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(c), nn.ReLU()
    )


OPS = {
    "conv3x3": conv_bn_relu(3),
    "conv1x1": conv_bn_relu(1),
    "maxpool3x3": lambda c: nn.MaxPool2d(3, stride=1, padding=1),
}
CELL = CellSpace(OPS, nodes=5, ops_on="nodes", max_edges=9, name="my_cells", dataset="fashion-mnist")
SPACE = JointSpace(
    CELL,
    {
        "lr": FloatDistribution(0.005, 0.2, log=True),  # names a TrainConfig field: sets it per evaluation
        "channels": IntDistribution(8, 16, step=4),  # C of the stacked network
    },
)
