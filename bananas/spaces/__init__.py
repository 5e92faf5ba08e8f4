"""Search spaces: what an architecture is, how it mutates, and its canonical key."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable
from pathlib import Path

from bananas.spaces._base import Arch, Space, TabularSpace, values_of
from bananas.spaces.cell import Cell, CellSpace, NB101Space
from bananas.spaces.nb201 import NB201Space
from bananas.spaces.nb201_table import NB201TableSpace, nb201_space
from bananas.spaces.nbgraph import GraphCell, NBGraphSpace


def _nbgraph(dataset: str, table: str | Path | None = None) -> Space:
    if table is not None:
        raise ValueError("--table works with --space nb201 only; NAS-Bench-Graph ships its own tables")
    return NBGraphSpace(dataset)


def _nb101(dataset: str, table: str | Path | None = None) -> Space:
    if table is not None:
        raise ValueError("--table works with --space nb201 only; no NAS-Bench-101 table ships (train it)")
    return NB101Space(dataset)


SPACES: dict[str, Callable[..., Space]] = {"nbgraph": _nbgraph, "nb201": nb201_space, "nb101": _nb101}
DEFAULT_SPACE = "nbgraph"
DEFAULT_DATASETS = {"nbgraph": "cora", "nb201": "cifar10", "nb101": "fashion-mnist"}

__all__ = [
    "DEFAULT_DATASETS",
    "DEFAULT_SPACE",
    "SPACES",
    "Arch",
    "Cell",
    "CellSpace",
    "NB101Space",
    "GraphCell",
    "NB201Space",
    "NB201TableSpace",
    "NBGraphSpace",
    "Space",
    "TabularSpace",
    "get_space",
    "get_tabular_space",
    "values_of",
]


def get_space(name: str, dataset: str | None, table: str | Path | None = None) -> Space:
    """Return the space ``name`` on ``dataset`` (``table``: a results CSV for nb201), or the space a user's
    file declares (``name`` = ``PATH.py:NAME``, a Space or a function of the dataset returning one);
    ValueError naming the choices or the fix otherwise."""
    if name.partition(":")[0].endswith(".py"):
        return _from_file(name, dataset)
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose one of {', '.join(SPACES)}, or PATH.py:NAME (your own)")
    return SPACES[name](dataset or DEFAULT_DATASETS[name], table)


def _from_file(spec: str, dataset: str | None) -> Space:
    """The space ``NAME`` of the file in ``PATH.py:NAME``, named by ``spec`` so that workers find it again."""
    path, _, attr = spec.partition(":")
    if not attr:
        raise ValueError(f"--space {spec!r} names no space in the file; write PATH.py:NAME, e.g. my_space.py:SPACE")
    if not Path(path).is_file():
        raise ValueError(f"--space {spec!r}: no file {path!r}; give the path of the Python file that declares {attr}")
    module_spec = importlib.util.spec_from_file_location(f"bananas_user_space_{Path(path).stem}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:  # the user's code: say where it broke, in one line
        raise ValueError(f"--space {spec!r}: running {path} failed: {type(err).__name__}: {err}") from None
    found = getattr(module, attr, None)
    space = found(dataset) if callable(found) and not isinstance(found, Space) else found
    if not isinstance(space, Space):
        declared = sorted(k for k, v in vars(module).items() if isinstance(v, Space))
        raise ValueError(
            f"--space {spec!r}: {path} has no Space {attr!r} (Spaces it declares: {', '.join(declared) or 'none'})"
        )
    space = copy.copy(space)
    space.name = spec
    if dataset is not None:
        space.dataset = dataset
    return space


def get_tabular_space(name: str, dataset: str, table: str | Path | None = None) -> TabularSpace:
    """Return the space ``name`` on ``dataset`` if it has a results table; ValueError otherwise."""
    space = get_space(name, dataset, table)
    if not isinstance(space, TabularSpace):
        hint = "; give one with --table PATH.csv" if name == "nb201" else "; train it instead: add --evaluator train"
        raise ValueError(f"space {name!r} has no results table on {dataset!r}{hint}")
    return space
