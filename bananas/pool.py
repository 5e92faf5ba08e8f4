"""The candidate pool: mutations of the best architectures so far plus random ones; random untried ones."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from bananas.spaces import Arch, Space


def candidate_pool(
    space: Space,
    best_first: Sequence[Any],
    exclude: set[Hashable],
    rng: np.random.Generator,
    *,
    n_parents: int = 10,
    n_mutations: int = 50,
    n_random: int = 200,
) -> list[Any]:
    """Return distinct, untried candidates (deduplicated by canonical key).

    For each of the ``n_parents`` best architectures: all its one-edit
    neighbours and ``n_mutations`` two-edit mutations; then ``n_random``
    random architectures. Keys in ``exclude`` (evaluated, pending) are left out.
    """
    cands: list[Any] = []
    for parent in best_first[:n_parents]:
        cands.extend(space.neighbors(parent))
        cands.extend(space.mutate(parent, rng, edits=2) for _ in range(n_mutations))
    cands.extend(space.sample(rng) for _ in range(n_random))
    return space.unique(cands, exclude=exclude)


def random_unseen(space: Space, seen: set[Hashable], rng: np.random.Generator, tries: int = 1000) -> Arch:
    """Return a random architecture not in ``seen`` (any random one if none is found)."""
    for _ in range(tries):
        arch = space.sample(rng)
        if space.key(arch) not in seen:
            return arch
    return space.sample(rng)
