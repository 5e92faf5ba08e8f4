"""Methods against each other over seeds on a tabular space: results.json, results.md, regret.png.

Regret (``bananas.regret``): validation and test regret in percentage points,
of feasible architectures with constraints; hypervolume regret with several
objectives.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bananas.objectives import OBJECTIVE, Constraints
from bananas.regret import describe, regret_curves, table_reference
from bananas.stats import stderr
from bananas.trials import ARCH

CHECKPOINTS = (25, 50, 75, 100, 150)


def run_one(
    space_name: str,
    dataset: str,
    method: str,
    seed: int,
    budget: int,
    sampler_options: dict[str, Any],
    table: str | None = None,
    objectives: Sequence[str] = (OBJECTIVE,),
    constraints: Sequence[str] = (),
) -> dict[str, Any]:
    """Run one in-memory search; return its ordered queries and BO iteration times."""
    import optuna
    import torch

    from bananas.evaluators import TabularEvaluator
    from bananas.search import run_search
    from bananas.spaces import get_tabular_space

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = get_tabular_space(space_name, dataset, table)
    study = run_search(
        space,
        TabularEvaluator(space),
        method=method,
        budget=budget,
        seed=seed,
        sampler_options=sampler_options,
        objectives=objectives,
        constraints=constraints,
    )
    trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    metrics = {"valid_acc", "test_acc", *objectives, *(c.metric for c in Constraints(constraints).items)}
    return {"method": method, "seed": seed, "queries": query_records(trials, metrics), "bo_seconds": bo_seconds(trials)}


def query_records(trials: Sequence[Any], metrics: Iterable[str] = ("valid_acc", "test_acc")) -> list[dict[str, Any]]:
    """Return the benchmark record of each (COMPLETE) trial: its architecture id and ``metrics``."""
    return [{"arch": t.user_attrs[ARCH], **{m: t.user_attrs[m] for m in sorted(metrics)}} for t in trials]


def bo_seconds(trials: Sequence[Any]) -> list[float]:
    """Return the seconds of each BO iteration (model fit, pool and pick) recorded in ``trials``."""
    return [t.user_attrs["bo_seconds"] for t in trials if "bo_seconds" in t.user_attrs]


def summarize(results: dict[str, Any], checkpoints: Iterable[int] = CHECKPOINTS) -> dict[str, Any]:
    """Return, per method and checkpoint, mean and standard error of each regret (``bananas.regret``)."""
    goal = (results.get("objectives", [OBJECTIVE]), results.get("constraints", []))
    out: dict[str, Any] = {}
    for method, runs in results["runs"].items():
        curves = [regret_curves(r["queries"], results["table_best"], *goal) for r in runs]
        stats: dict[int, Any] = {}
        for k in checkpoints:
            done = [c for c in curves if len(next(iter(c.values()))) >= k]
            if done:
                stats[k] = {"n": len(done)}
                for kind in done[0]:
                    at_k = np.array([c[kind][k - 1] for c in done])
                    stats[k] |= {kind: float(at_k.mean()), f"{kind}_se": stderr(at_k)}
        bo = [s for r in runs for s in r["bo_seconds"]]
        out[method] = {"checkpoints": stats, "bo_seconds_mean": float(np.mean(bo)) if bo else None}
    return out


def markdown_table(results: dict[str, Any], summary: dict[str, Any]) -> str:
    """Return results.md: mean ± s.e. regret per method and checkpoint."""
    ks = sorted({k for s in summary.values() for k in s["checkpoints"]})
    kinds = describe(results.get("objectives", [OBJECTIVE]), results.get("constraints", []))
    unit = "" if "hypervolume" in kinds else " (percentage points)"
    lines = [
        f"# {results['space']} / {results['dataset']}: regret{unit}, mean ± s.e. over {results['n_seeds']} seeds",
        "",
    ]
    digits = 4 if "hypervolume" in kinds else 3
    for kind, title in kinds.items():
        lines += [
            f"## {title}",
            "",
            "| method | " + " | ".join(f"{k} queries" for k in ks) + " |",
            "|---" * (len(ks) + 1) + "|",
        ]
        for method, s in summary.items():
            cells = [
                f"{s['checkpoints'][k][kind]:.{digits}f} ± {s['checkpoints'][k][kind + '_se']:.{digits}f}"
                if k in s["checkpoints"]
                else ""
                for k in ks
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    timed = {m: s["bo_seconds_mean"] for m, s in summary.items() if s["bo_seconds_mean"] is not None}
    if timed:
        lines += ["## Seconds per BO iteration (model fit + acquisition, one CPU thread)", ""]
        lines += [f"- {m}: {t:.3f} s" for m, t in timed.items()] + [""]
    return "\n".join(lines)


def plot_regret(results: dict[str, Any], path: Path) -> None:
    """Write the mean regret curve per method (validation or hypervolume; shaded: ± one standard error)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    goal = (results.get("objectives", [OBJECTIVE]), results.get("constraints", []))
    kind, title = next(iter(describe(*goal).items()))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for method, runs in results["runs"].items():
        if not runs:
            continue
        curves = np.array([regret_curves(r["queries"], results["table_best"], *goal)[kind] for r in runs])
        mean = curves.mean(axis=0)
        se = np.array([stderr(c) for c in curves.T])
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=method)
        ax.fill_between(x, mean - se, mean + se, alpha=0.2)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("queries")
    ax.set_ylabel("hypervolume regret" if kind == "hypervolume" else "validation regret (pp)")
    ax.set_title(f"{results['space']} / {results['dataset']} ({results['n_seeds']} seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_benchmark(
    space_name: str,
    dataset: str,
    methods: Sequence[str],
    *,
    seeds: Iterable[int],
    budget: int,
    out_dir: str | os.PathLike,
    workers: int | None = None,
    sampler_options: dict[str, Any] | None = None,
    progress: bool = True,
    table: str | None = None,
    objectives: Sequence[str] = (OBJECTIVE,),
    constraints: Sequence[str] = (),
) -> dict[str, Any]:
    """Run every method on every seed (in parallel processes); write and return the results.

    ``table``: a results CSV for the nb201 space (default: its shipped table of ``dataset``).
    ``objectives``, ``constraints``: as ``bananas.study.prepare_study`` takes them.
    """
    from tqdm.auto import tqdm

    from bananas.methods import unavailable
    from bananas.spaces import get_tabular_space

    seeds = list(seeds)
    skipped = {m: why for m in methods if (why := unavailable(m))}
    for method, why in skipped.items():
        print(f"skipping method {method}: {why}", file=sys.stderr)
    methods = [m for m in methods if m not in skipped]
    if not methods:
        raise ValueError("no method left to run: " + "; ".join(f"{m}: {why}" for m, why in skipped.items()))
    sampler_options = sampler_options or {}
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for results.json, results.md and regret.png")
    out.mkdir(parents=True, exist_ok=True)
    space = get_tabular_space(space_name, dataset, table)  # a bad table fails here, before any run
    best = table_reference(space.all_metrics(), objectives, constraints)
    goal = (list(objectives), list(constraints))
    jobs = [(space_name, dataset, m, s, budget, sampler_options, table, *goal) for m in methods for s in seeds]
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        runs, errors = [], []
        for job, future in zip(
            jobs, tqdm(futures, desc=f"benchmark {dataset}", unit="run", disable=not progress), strict=True
        ):
            try:
                runs.append(future.result())
            except Exception as err:  # one broken run must not lose the others
                errors.append({"method": job[2], "seed": job[3], "error": f"{type(err).__name__}: {err}"})
    results = {
        "space": space_name,
        "dataset": dataset,
        "budget": budget,
        "n_seeds": len(seeds),
        "sampler_options": sampler_options,
        "objectives": goal[0],
        "constraints": goal[1],
        "table_best": best,
        "runs": {m: [r for r in runs if r["method"] == m] for m in methods},
        "errors": errors,
        "skipped": skipped,
    }
    summary = summarize(results, [k for k in CHECKPOINTS if k <= budget] or [budget])
    (out / "results.json").write_text(json.dumps({**results, "summary": summary}, indent=1))
    table = markdown_table(results, summary)
    (out / "results.md").write_text(table)
    plot_regret(results, out / "regret.png")
    for e in errors:
        print(f"run failed, left out of the summary: {e['method']} seed {e['seed']}: {e['error']}", file=sys.stderr)
    if progress:
        print(table)
        print(f"wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'regret.png'}")
    return results
