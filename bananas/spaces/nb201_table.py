"""NAS-Bench-201 with a results table: the shipped CIFAR-10/100 tables or a CSV of one's own.

An architecture's metrics are the mean over the table rows of its strings;
its parameters and FLOPs (CIFAR's network) are counted, not looked up.
"""

from __future__ import annotations

import csv
import functools
import gzip
from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bananas.spaces._base import TabularSpace
from bananas.spaces.nb201 import NB201Space, Ops, _classes, from_string, function_key, to_string
from bananas.validation import accuracy_problem

TABLES = {"cifar10": "nasbench201_cifar10.csv.gz", "cifar100": "nasbench201_cifar100.csv.gz"}
N_CLASSES = {"cifar10": 10, "cifar100": 100}  # the datasets whose networks' size is known without a table
TABLE_COLUMNS = ("arch str", "validation accuracy", "test accuracy")


class NB201TableSpace(NB201Space, TabularSpace):
    """NAS-Bench-201 with a results table: the shipped CIFAR-10/100 tables, or any CSV with the
    columns ``arch str``, ``validation accuracy`` and ``test accuracy`` (percent)."""

    def __init__(self, dataset: str = "cifar10", table: str | Path | None = None) -> None:
        super().__init__(dataset)
        if table is None and dataset not in TABLES:
            raise ValueError(
                f"no NAS-Bench-201 table ships for {dataset!r} (shipped: {', '.join(TABLES)}); "
                "give one with --table PATH.csv (columns: arch str, validation accuracy, test accuracy)"
            )
        self.table = None if table is None else str(table)
        self._rows = _read_table(self.table, dataset)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), **({"table": self.table} if self.table else {})}

    def is_valid(self, arch: Ops) -> bool:
        """The table is the space: an architecture without a row is not proposed (a table of one's own
        may hold only some of NB-201's architectures)."""
        return self.key(arch) in self._rows

    def lookup(self, arch: Ops) -> dict[str, float]:
        key = self.key(arch)
        if key not in self._rows:
            raise KeyError(f"{to_string(tuple(arch))} (and every string of the same function) has no row in the table")
        return {**self._rows[key], **self.known_metrics(arch)}

    @property
    def known_metric_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("params_m", "flops_m") if self.dataset in N_CLASSES else ()

    def known_metrics(self, arch: Ops) -> dict[str, float]:
        """Parameters and FLOPs (millions) of NB-201's network of ``arch`` for the dataset (C=16, N=5,
        32x32 images), counted by ``bananas.nets.network_costs``."""
        if self.dataset not in N_CLASSES:
            return {}
        from bananas.nets import network_costs

        params, flops = network_costs(arch, N_CLASSES[self.dataset])
        return {"params_m": params / 1e6, "flops_m": flops / 1e6}

    def all_keys(self) -> Sequence[Hashable]:
        return list(self._rows)

    def all_metrics(self) -> list[dict[str, float]]:
        classes = _classes()
        return [self.lookup(classes[key][0]) for key in self._rows]

    def best(self) -> dict[str, float]:
        rows = self._rows.values()
        return {m: max(r[m] for r in rows) for m in ("valid_acc", "test_acc")}


@functools.lru_cache(maxsize=8)
def _read_table(path: str | None, dataset: str) -> dict[Hashable, dict[str, float]]:
    """Return the metrics per architecture (mean over the rows of its strings) of a table."""
    if path is None:
        with resources.files("bananas").joinpath("data", "nb201", TABLES[dataset]).open("rb") as raw:
            text = gzip.decompress(raw.read()).decode()
        name = f"shipped table {TABLES[dataset]}"
    else:
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:  # type: ignore[operator]
                text = f.read()
        except OSError as err:
            raise ValueError(f"cannot read table {path!r}: {err.strerror or err}") from None
        name = path
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"table {name} lacks the columns {missing}; it needs {', '.join(TABLE_COLUMNS)}")
    sums: dict[Hashable, np.ndarray] = {}
    for line, row in enumerate(reader, start=2):
        try:
            key = function_key(from_string(row["arch str"]))
            values = np.array([float(row["validation accuracy"]), float(row["test accuracy"]), 1.0])
            problem = next(filter(None, map(accuracy_problem, values[:2].tolist())), None)
            if problem:
                raise ValueError(f"accuracy {problem}")
        except (TypeError, ValueError) as err:
            raise ValueError(f"table {name}, line {line}: {err}") from None
        sums[key] = sums.get(key, 0.0) + values
    if not sums:
        raise ValueError(f"table {name} has no rows")
    return {k: {"valid_acc": float(v / n), "test_acc": float(t / n)} for k, (v, t, n) in sums.items()}


def nb201_space(dataset: str = "cifar10", table: str | Path | None = None) -> NB201Space:
    """Return the NB-201 space on ``dataset``: with a results table when one ships or is given."""
    if table is not None or dataset in TABLES:
        return NB201TableSpace(dataset, table)
    return NB201Space(dataset)
