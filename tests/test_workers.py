"""Workers on one study (SQLite and journal files here; PostgreSQL in test_postgres.py)."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import optuna
import pytest
import sqlalchemy.exc
from optuna.trial import TrialState

from bananas.evaluators import TabularEvaluator
from bananas.storage import Retrying, StorageUnavailable, open_storage
from bananas.study import prepare_study
from bananas.testing import audit
from bananas.trials import WORKER
from bananas.workers import duplicate_of, run_worker, surplus, worker_seed

FAST = {"n_startup_trials": 4, "batch_size": 3}


def _study(space, storage, budget, method="bananas", cost=None, name="w"):
    return prepare_study(
        space,
        TabularEvaluator(space, simulated_cost=cost),
        method=method,
        budget=budget,
        storage=storage,
        study_name=name,
        sampler_options=FAST if method == "bananas" else {},
    )


def _workers(n, url, name="w", grace=30, **kwargs):
    """Run n workers in threads, each with its own storage object and seed; return their reports."""
    reports = [None] * n

    def work(i):
        storage = open_storage(url, heartbeat_interval=1, grace_period=grace)
        reports[i] = run_worker(storage, name, seed=worker_seed(0, i), **kwargs)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return reports


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_workers_reach_the_budget_exactly_and_evaluate_no_architecture_twice(cora, tmp_path, kind):
    url = f"sqlite:///{tmp_path}/s.db" if kind == "sqlite" else str(tmp_path / "s.log")
    study = _study(cora, open_storage(url), budget=24, cost=(0.0, 0.03))
    reports = _workers(3, url, poll_interval=0.05)
    result = audit(study, cora)
    assert result.completed == 24 and result.duplicated == 0 and result.lost == 0
    assert sum(r.completed for r in reports) == 24 and all(r.completed > 0 for r in reports)
    assert {t.user_attrs[WORKER] for t in study.trials} == {t.user_attrs[WORKER] for t in study.trials[:1]}  # one pid
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAIL) for t in study.trials)


def test_a_trial_is_surplus_when_earlier_trials_fill_the_budget(cora):
    study = _study(cora, None, budget=2)
    first, second, third = study.ask(), study.ask(), study.ask()
    assert not surplus(study, first, 2) and not surplus(study, second, 2)
    assert surplus(study, third, 2)
    study.tell(first, state=TrialState.FAIL)  # a running trial failed: the third is needed now
    assert not surplus(study, third, 2)


def test_racing_trials_with_one_architecture_see_each_other(cora):
    study = _study(cora, None, budget=5, method="random")
    arch = cora.sample(__import__("numpy").random.default_rng(1))
    study.enqueue_trial(cora.to_params(arch))
    study.enqueue_trial(cora.to_params(arch))
    a, b = study.ask(), study.ask()
    cora.suggest(a), cora.suggest(b)
    assert duplicate_of(study, a, cora, arch) == b.number and duplicate_of(study, b, cora, arch) == a.number
    a.set_user_attr("skipped", True)
    a.set_user_attr("fail_reason", "duplicate")
    study.tell(a, state=TrialState.FAIL)  # a skipped trial is no claim
    assert duplicate_of(study, b, cora, arch) is None


def test_an_interrupted_trial_keeps_its_architecture_from_proposals_until_its_copy_runs(cora):
    study = _study(cora, None, budget=9, method="random")
    held, skipped, unrecorded = study.ask(), study.ask(), study.ask()
    archs = [cora.suggest(t) for t in (held, skipped, unrecorded)]
    for t, arch in zip((held, skipped), archs[:2], strict=True):
        t.set_user_attr("arch", cora.to_string(arch))
    skipped.set_user_attr("skipped", True)
    for t in (held, skipped, unrecorded):  # as Optuna's heartbeat check fails a stale trial, before its retry exists
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
    seen = study.sampler._history(study, study.ask(), cora).seen
    assert [cora.key(a) in seen for a in archs] == [True, False, False]


def test_a_stopped_worker_hands_back_a_held_claim_and_gives_up_an_unchecked_one(cora):
    """A trial stopped between writing its params and its duplicate check may share its architecture with a
    concurrent trial: a copy of it could evaluate that architecture twice, so it gives the claim up."""
    from bananas.workers import give_back

    study = _study(cora, None, budget=9, method="random")
    unchecked, held = study.ask(), study.ask()
    for t in (unchecked, held):
        cora.suggest(t)
    held.set_user_attr("arch", cora.to_string(cora.from_params(held.params)))
    for t in (unchecked, held):
        give_back(study, study._storage.get_trial(t._trial_id))
    unchecked, held = study.trials[unchecked.number], study.trials[held.number]
    assert unchecked.state == held.state == TrialState.FAIL
    assert unchecked.user_attrs["skipped"] and "retry" not in unchecked.user_attrs
    assert held.user_attrs["retry"] and "skipped" not in held.user_attrs
    (copy,) = study.get_trials(states=(TrialState.WAITING,))
    assert copy.system_attrs["failed_trial"] == held.number  # only the held claim is evaluated again


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
def test_a_trial_without_heartbeat_is_retried_by_another_worker(cora, tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    study = _study(cora, open_storage(url), budget=6, method="random")
    storage = open_storage(url, heartbeat_interval=1, grace_period=1)
    dead = optuna.load_study(study_name="w", storage=storage)
    trial = dead.ask()
    arch = cora.suggest(trial)
    trial.set_user_attr("arch", cora.to_string(arch))
    trial.set_user_attr(WORKER, "elsewhere:1")
    storage.record_heartbeat(trial._trial_id)  # then its worker dies
    time.sleep(2.5)
    (report,) = _workers(1, url, grace=1, poll_interval=0.05)
    assert report.retried == 1
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == trial.number]
    assert len(retried) == 1 and retried[0].state == TrialState.COMPLETE
    assert cora.key(cora.from_params(retried[0].params)) == cora.key(arch)
    assert audit(study, cora) == audit(study, cora).__class__(6, 0, 1, 0, 0)


def test_on_a_journal_file_trials_of_a_dead_local_process_are_retried(cora, tmp_path):
    url = str(tmp_path / "s.log")
    study = _study(cora, open_storage(url), budget=4, method="random")
    gone = subprocess.Popen(["true"])
    gone.wait()
    trial = study.ask()
    trial.set_user_attr("arch", cora.to_string(cora.suggest(trial)))
    trial.set_user_attr(WORKER, f"{os.uname().nodename}:{gone.pid}")
    (report,) = _workers(1, url, poll_interval=0.05)
    assert report.retried == 1
    assert study.trials[trial.number].state == TrialState.FAIL
    result = audit(study, cora)
    assert (result.completed, result.retried, result.lost, result.duplicated) == (4, 1, 0, 0)


def test_storage_calls_are_retried_with_backoff_then_give_up_with_a_clear_error():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return "ok"

    retry = Retrying(timeout=10)
    assert retry(flaky) == "ok" and len(calls) == 3 and retry.outages == 1

    def down():
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    start = time.monotonic()
    with pytest.raises(StorageUnavailable, match="did not answer for 1 s .*connection refused.*kept"):
        Retrying(timeout=1)(down)
    assert time.monotonic() - start < 5


def _bananas(*args, env=None, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "bananas", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def test_search_with_workers_runs_to_the_budget_and_prints_the_summary(cora, tmp_path):
    log = str(tmp_path / "s.log")
    proc = _bananas(
        "search", "--workers", "2", "--budget", "14", "--n-init", "4", "--batch-size", "3",
        "--storage", log, "--quiet", "--simulated-cost", "0.01-0.05",
    )  # fmt: skip
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert "14 completed trials" in out and "regret" in out
    study = optuna.load_study(study_name="nbgraph-cora-bananas-seed0", storage=open_storage(log))
    result = audit(study, cora)
    assert result.completed == 14 and result.duplicated == 0
    assert len({t.user_attrs[WORKER] for t in study.trials}) == 2


def test_a_worker_stopped_by_ctrl_c_hands_its_trial_back(cora, tmp_path):
    log = str(tmp_path / "s.log")
    study = _study(cora, open_storage(log), budget=3, method="random", cost=30.0)
    proc = _bananas("worker", "--study-name", "w", env={"BANANAS_STORAGE": log})
    deadline = time.monotonic() + 60
    while not any(t.state == TrialState.RUNNING and "arch" in t.user_attrs for t in study.trials):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "handed back" in err
    stopped, again = study.trials[0], study.trials[1]
    assert stopped.state == TrialState.FAIL and stopped.user_attrs["retry"]
    assert again.state == TrialState.WAITING and again.params == stopped.params


def test_worker_errors_are_one_line(tmp_path):
    log = str(tmp_path / "s.log")
    proc = _bananas("worker", "--storage", log, "--study-name", "nope")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.strip() == f"bananas: error: no study 'nope' in {log}"
    optuna.create_study(storage=open_storage(log), study_name="foreign")
    proc = _bananas("worker", "--storage", log, "--study-name", "foreign")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "not made by" in err and "--workers" in err and len(err.splitlines()) == 1


def test_a_study_made_first_is_joined_by_workers_that_know_only_its_name(tmp_path):
    log = str(tmp_path / "s.log")
    made = _bananas("search", "--workers", "0", "--budget", "3", "--method", "re", "--storage", log)
    out, err = made.communicate(timeout=120)
    assert made.returncode == 0 and "bananas worker --study-name nbgraph-cora-re-seed0" in out, err
    worker = _bananas("worker", "--study-name", "nbgraph-cora-re-seed0", env={"BANANAS_STORAGE": log})
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert out.count(" valid ") == 3 and "[3/3]" in out and "3 completed, 0 failed" in out


def test_the_worker_line_counts_only_the_searchs_own_completed_trials(cora, tmp_path):
    """A warm start adds observations that are not in the budget; the per-trial ``[done/budget]`` of
    ``bananas worker`` must not count them (it did: [8/3] after a warm start of 5)."""
    from bananas.exchange import export_study
    from bananas.search import run_search

    prior = run_search(cora, TabularEvaluator(cora), method="random", budget=5, seed=9)
    export_study(prior, cora, tmp_path / "prior.jsonl")
    log = str(tmp_path / "s.log")
    made = _bananas(
        "search", "--workers", "0", "--budget", "3", "--method", "random", "--storage", log,
        "--warm-start", str(tmp_path / "prior.jsonl"),
    )  # fmt: skip
    assert made.wait(timeout=120) == 0
    worker = _bananas("worker", "--study-name", "nbgraph-cora-random-seed0", env={"BANANAS_STORAGE": log})
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    counts = [line.split("]")[0].split("[")[1] for line in out.splitlines() if " valid " in line]
    assert counts == ["1/3", "2/3", "3/3"]


def test_a_journal_file_study_is_a_warm_start_source(cora, tmp_path):
    from bananas.search import run_search
    from bananas.warmstart import load_warm_start

    log = str(tmp_path / "old.log")
    run_search(cora, TabularEvaluator(cora), method="random", budget=4, storage=open_storage(log), study_name="old")
    assert len(load_warm_start(log, "old").records) == 4


def test_workers_on_a_multi_objective_constrained_study_record_every_objective_and_violation(cora, tmp_path):
    url = str(tmp_path / "mo.log")
    study = prepare_study(
        cora,
        TabularEvaluator(cora),
        budget=12,
        storage=open_storage(url),
        study_name="mo",
        sampler_options=FAST,
        objectives=["valid_acc", "latency"],
        constraints=["params_m<=1.2"],
    )
    _workers(2, url, name="mo", poll_interval=0.05)
    result = audit(study, cora)
    assert result.completed == 12 and result.duplicated == 0 and result.lost == 0
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert all(t.values == [t.user_attrs["valid_acc"], t.user_attrs["latency"]] for t in done)
    assert all(list(t.system_attrs["constraints"]) == [t.user_attrs["params_m"] - 1.2] for t in done)


def test_a_claim_is_checked_against_the_trials_of_its_own_study(cora):
    from bananas.search import run_search

    for seed in (0, 1):  # two in-memory studies in one process: the same trial ids, other architectures
        study = run_search(cora, TabularEvaluator(cora), method="random", budget=5, seed=seed)
        trial = study.ask()
        held = [cora.from_string(t.user_attrs["arch"]) for t in study.trials[:5]]
        assert [duplicate_of(study, trial, cora, arch) for arch in held] == [0, 1, 2, 3, 4]
        keys = {cora.key(a) for a in held}
        free = next(a for a in (cora.sample(np.random.default_rng(i)) for i in range(50)) if cora.key(a) not in keys)
        assert duplicate_of(study, trial, cora, free) is None
