"""Workers on one PostgreSQL study: speed-up, sample efficiency and a fault run (issue 6).

    python scripts/workers_benchmark.py wall --cost 2 --budget 100 --workers 1,4
    python scripts/workers_benchmark.py efficiency --seeds 30 --budget 150 --workers 4 --cost 0.05-0.3
    python scripts/workers_benchmark.py faults --budget 100 --workers 4 --cost 0.1-0.4
    python scripts/workers_benchmark.py proposal --budget 2000

Every run uses ``bananas worker`` processes on NAS-Bench-Graph cora, table lookups that sleep
``--cost`` seconds (``--simulated-cost``), and a throwaway PostgreSQL server on loopback
(``bananas.testing.TemporaryPostgres``) unless ``--storage`` names one.

- wall: wall time to the budget with each number of workers, and the proposal overhead per
  trial (trial duration minus the sleep: ask, model fit, acquisition, claim, tell).
- efficiency: validation and test regret per number of completed evaluations, sequential
  (``run_search``, one process) against W asynchronous workers, mean ± s.e. over seeds.
- faults: W workers; one SIGKILLed mid-evaluation and started again, another stopped
  with SIGTERM and started again, the database restarted; then completed, retried, lost,
  duplicated.
- proposal: one worker's own cost on a big study, without other workers competing for the CPU: a
  study filled with ``--budget`` random evaluations, then one ``bananas`` worker runs 30 more in
  this process; its in-trial overhead without the model fit (history read, pick, claim, tell).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from bananas.benchmark import markdown_table, plot_regret, run_one, summarize
from bananas.evaluators import TabularEvaluator
from bananas.search import run_search
from bananas.spaces import NBGraphSpace
from bananas.storage import open_storage
from bananas.study import prepare_study
from bananas.testing import TemporaryPostgres, audit, kill_mid_evaluation
from bananas.trials import CONFIG, n_complete
from bananas.workers import WorkerOptions, run_worker, spawn_workers

PROPOSALS = 30  # the proposal run: trials one worker adds to the filled study


@contextmanager
def server(url: str | None):
    if url:
        yield url, None
        return
    with TemporaryPostgres() as pg:
        yield pg.url, pg


def cost(text: str) -> float | tuple[float, float]:
    low, _, high = text.partition("-")
    return (float(low), float(high)) if high else float(low)


def new_study(url: str, name: str, space: NBGraphSpace, budget: int, seed: int, sleep: Any) -> optuna.Study:
    storage = open_storage(url)
    try:
        optuna.delete_study(study_name=name, storage=storage)
    except KeyError:
        pass
    return prepare_study(
        space, TabularEvaluator(space, simulated_cost=sleep), budget=budget, seed=seed, storage=storage, study_name=name
    )


def run_workers(url: str, name: str, n: int, seed: int) -> float:
    """Run n workers to the budget; return the wall time from their start."""
    start = time.perf_counter()
    procs = spawn_workers(url, name, n, seed)
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError(f"a worker exited with code {p.returncode}")
    return time.perf_counter() - start


def completed_in_order(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(done, key=lambda t: t.datetime_complete)


def cmd_wall(args: argparse.Namespace, url: str) -> dict[str, Any]:
    space = NBGraphSpace("cora")
    rows = []
    for n in args.workers:
        name = f"wall-{n}"
        study = new_study(url, name, space, args.budget, 0, args.cost)
        wall = run_workers(url, name, n, 0)
        done = completed_in_order(study)
        overhead = [
            (t.datetime_complete - t.datetime_start).total_seconds() - t.user_attrs["cost_seconds"] for t in done
        ]
        # without the model fit (on the trials that fit), over the last tenth of the trials
        late = [o - t.user_attrs.get("fit_seconds", 0.0) for o, t in zip(overhead, done, strict=True)]
        late = late[len(late) - max(1, len(late) // 10) :]
        a = audit(study, space)
        # everything but the evaluations, start-up and waits included, per completed trial
        total = (n * wall - sum(t.user_attrs["cost_seconds"] for t in done)) / len(done)
        rows.append(
            {
                "workers": n,
                "wall_s": wall,
                "completed": a.completed,
                "duplicated": a.duplicated,
                "skipped": a.skipped,
                "overhead_mean_s": float(np.mean(overhead)),
                "overhead_p95_s": float(np.percentile(overhead, 95)),
                "late_overhead_without_fit_p95_s": float(np.percentile(late, 95)),
                "worker_seconds_not_evaluating_per_trial": total,
            }
        )
        print(
            f"{n} worker(s): {wall:.1f} s wall for {a.completed} evaluations; in-trial overhead (propose, claim, "
            f"tell) {np.mean(overhead):.3f} s/trial (p95 {np.percentile(overhead, 95):.3f}; without the fit, "
            f"last {len(late)} trials: mean {np.mean(late):.3f}, p95 {np.percentile(late, 95):.3f}); worker time not "
            f"evaluating {total:.3f} s/trial (start-up and waits included); {a.skipped} skipped, "
            f"{a.duplicated} duplicated",
            flush=True,
        )
    base = rows[0]["wall_s"]
    for r in rows[1:]:
        print(f"wall time with {r['workers']} workers / with {rows[0]['workers']}: {r['wall_s'] / base:.3f}")
    return {"rows": rows}


def cmd_efficiency(args: argparse.Namespace, url: str) -> dict[str, Any]:
    space = NBGraphSpace("cora")
    (n,) = args.workers
    sequential, parallel = [], []
    for seed in range(args.seeds):
        sequential.append(run_one("nbgraph", "cora", "bananas", seed, args.budget, {}))
        name = f"eff-{seed}"
        study = new_study(url, name, space, args.budget, seed, args.cost)
        run_workers(url, name, n, seed)
        a = audit(study, space)
        queries = [
            {"arch": t.user_attrs["arch"], "valid_acc": t.user_attrs["valid_acc"], "test_acc": t.user_attrs["test_acc"]}
            for t in completed_in_order(study)
        ]
        bo = [t.user_attrs["bo_seconds"] for t in study.trials if "bo_seconds" in t.user_attrs]
        parallel.append({"seed": seed, "queries": queries, "bo_seconds": bo, "skipped": a.skipped})
        print(f"seed {seed}: {a.completed} completed, {a.duplicated} duplicated, {a.skipped} skipped", flush=True)
    results = {
        "space": "nbgraph",
        "dataset": "cora",
        "budget": args.budget,
        "n_seeds": args.seeds,
        "table_best": space.best(),
        "runs": {"bananas sequential": sequential, f"bananas {n} async workers": parallel},
    }
    summary = summarize(results, [k for k in (25, 50, 100, 150) if k <= args.budget])
    print(markdown_table(results, summary))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot_regret(results, out / "efficiency.png")
    return {**results, "summary": summary}


def cmd_proposal(args: argparse.Namespace, url: str) -> dict[str, Any]:
    space = NBGraphSpace("cora")
    storage = open_storage(url)
    start = time.perf_counter()
    study = run_search(
        space, TabularEvaluator(space), method="random", budget=args.budget, storage=storage, study_name="proposal"
    )
    filled = time.perf_counter() - start
    # the same study searched on by BANANAS from here (a worker reads the method from the study's config)
    study.set_user_attr(CONFIG, {**study.user_attrs[CONFIG], "method": "bananas", "budget": args.budget + PROPOSALS})
    first = len(study.trials)
    run_worker(url, "proposal", seed=1)
    late = [t for t in completed_in_order(study) if t.number >= first]
    without_fit = [
        (t.datetime_complete - t.datetime_start).total_seconds() - t.user_attrs.get("fit_seconds", 0.0) for t in late
    ]
    steady = without_fit[1:]  # the first trial of the worker also imports the model's libraries
    print(
        f"{args.budget} trials filled in {filled:.1f} s; one worker's next {len(late)}: in-trial overhead without "
        f"the fit {np.mean(steady):.3f} s mean, {np.max(steady):.3f} s max (after its first, {without_fit[0]:.3f} s)",
        flush=True,
    )
    return {"filled_s": filled, "overhead_without_fit_s": without_fit}


def wait_for(condition: Any, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the fault run did not get there in time")
        time.sleep(0.05)


def cmd_faults(args: argparse.Namespace, url: str, pg: TemporaryPostgres | None) -> dict[str, Any]:
    space = NBGraphSpace("cora")
    (n,) = args.workers
    name = "faults"
    study = new_study(url, name, space, args.budget, 0, args.cost)
    options = WorkerOptions(heartbeat_interval=1, grace_period=5)
    procs = spawn_workers(url, name, n, 0, options)
    events = []
    wait_for(lambda: n_complete(study) >= args.budget // 5)
    killed = kill_mid_evaluation(study, procs[0])
    events.append(f"SIGKILL worker 0 during trial {killed.number}; started it again")
    procs[0] = spawn_workers(url, name, 1, 100, options)[0]
    wait_for(lambda: n_complete(study) >= 2 * args.budget // 5)
    procs[1].send_signal(signal.SIGTERM)
    events.append(f"SIGTERM worker 1 (exit code {procs[1].wait()}); started it again")
    procs[1] = spawn_workers(url, name, 1, 101, options)[0]
    if pg is not None:
        wait_for(lambda: n_complete(study) >= 3 * args.budget // 5)
        pg.stop()
        time.sleep(3)
        pg.start()
        events.append("PostgreSQL stopped for 3 s and started again")
    codes = [p.wait() for p in procs]
    a = audit(study, space)
    retries = [t for t in study.trials if killed.number in t.system_attrs.get("retry_history", [])]
    report = {
        "events": events,
        "exit_codes": codes,
        "completed": a.completed,
        "retried": a.retried,
        "lost": a.lost,
        "duplicated": a.duplicated,
        "skipped": a.skipped,
        "killed_trial": killed.number,
        "killed_trial_retried_as": [(t.number, t.state.name) for t in retries],
    }
    for e in events:
        print(e)
    print(
        f"completed {a.completed}/{args.budget}, retried {a.retried}, lost {a.lost}, duplicated {a.duplicated}, "
        f"skipped {a.skipped}; killed trial {killed.number} retried as {report['killed_trial_retried_as']}; "
        f"worker exit codes {codes}"
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("wall", "efficiency", "faults", "proposal"))
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[4])
    parser.add_argument("--cost", type=cost, default=2.0, help="seconds per evaluation, or LOW-HIGH")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--storage", help="a PostgreSQL URL (default: a throwaway server on loopback)")
    parser.add_argument("--out", default="benchmark-out/workers")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with server(args.storage) as (url, pg):
        if args.what == "wall":
            result = cmd_wall(args, url)
        elif args.what == "efficiency":
            result = cmd_efficiency(args, url)
        elif args.what == "proposal":
            result = cmd_proposal(args, url)
        else:
            result = cmd_faults(args, url, pg)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.what}.json").write_text(json.dumps({"args": sys.argv[1:], **result}, indent=1, default=str))
    print(f"wrote {out / (args.what + '.json')}")


if __name__ == "__main__":
    main()
