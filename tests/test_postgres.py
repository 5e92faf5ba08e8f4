"""Workers on a real PostgreSQL server: a throwaway cluster (initdb + pg_ctl on a free loopback port).

The server binaries come from Debian's postgresql package; ``.ci/install-postgres`` installs it.
"""

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from bananas.evaluators import TabularEvaluator
from bananas.storage import open_storage
from bananas.study import prepare_study
from bananas.testing import TemporaryPostgres, audit, kill_mid_evaluation
from bananas.trials import WORKER


@pytest.fixture(scope="module")
def postgres():
    with TemporaryPostgres() as pg:
        yield pg


def _study(space, url, name, budget, cost):
    return prepare_study(
        space,
        TabularEvaluator(space, simulated_cost=cost),
        budget=budget,
        storage=open_storage(url),
        study_name=name,
        sampler_options={"n_startup_trials": 10, "batch_size": 5},
    )


def _worker(url, name, *flags):
    env = {**os.environ, "BANANAS_STORAGE": url, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "bananas", "worker", "--study-name", name, "--quiet", *flags]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, seconds, procs=()):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        assert all(p.poll() in (None, 0) for p in procs), [p.communicate() for p in procs if p.poll()]
        time.sleep(0.1)


def test_four_workers_one_killed_one_restarted_complete_the_budget_exactly(cora, postgres):
    name = "fault"
    study = _study(cora, postgres.url, name, budget=100, cost=(0.05, 0.15))
    beat = ("--heartbeat-interval", "1", "--grace-period", "5", "--seed")
    workers = [_worker(postgres.url, name, *beat, str(i)) for i in range(4)]
    _wait_for(lambda: audit(study, cora).completed >= 20, 180, workers)

    killed = kill_mid_evaluation(study, workers[0])  # only the heartbeat tells
    workers[1].send_signal(signal.SIGTERM)  # stopped (as by a scheduler) and started again
    assert workers[1].wait(timeout=30) == 130
    workers[1] = _worker(postgres.url, name, *beat, "11")
    for w in workers[1:]:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err

    result = audit(study, cora)
    assert (result.completed, result.duplicated, result.lost) == (100, 0, 0)
    assert study.trials[killed.number].state == TrialState.FAIL  # failed by the heartbeat check ...
    retries = [t for t in study.trials if killed.number in t.system_attrs.get("retry_history", [])]
    assert [t.state for t in retries] == [TrialState.COMPLETE], str(  # ... and evaluated by another worker
        [(t.number, t.state.name, t.user_attrs, t.system_attrs) for t in retries]
    )
    assert retries[0].params == killed.params and retries[0].user_attrs["arch"] == killed.user_attrs["arch"]
    assert WORKER not in retries[0].system_attrs and retries[0].user_attrs[WORKER] != killed.user_attrs[WORKER]


def test_workers_ride_out_a_database_restart(cora, postgres):
    name = "restart"
    study = _study(cora, postgres.url, name, budget=40, cost=(0.05, 0.1))
    workers = [_worker(postgres.url, name, "--heartbeat-interval", "1", "--grace-period", "20") for _ in range(2)]
    _wait_for(lambda: audit(study, cora).completed >= 12, 180, workers)
    postgres.stop()
    time.sleep(3)
    postgres.start()
    errs = []
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        errs.append(err)
    assert any("does not answer" in e for e in errs)  # they noticed, waited, and went on
    result = audit(study, cora)
    assert (result.completed, result.duplicated, result.lost) == (40, 0, 0)


def test_a_worker_stops_with_a_clear_message_when_the_database_stays_away(cora, postgres):
    name = "gone"
    study = _study(cora, postgres.url, name, budget=1000, cost=0.1)
    worker = _worker(postgres.url, name, "--db-timeout", "2")
    _wait_for(lambda: audit(study, cora).completed >= 3, 120, [worker])
    postgres.stop()
    try:
        _, err = worker.communicate(timeout=60)
    finally:
        postgres.start()
    assert worker.returncode == 2
    assert "did not answer for 2 s" in err and "kept" in err and "Traceback" not in err
    study = optuna.load_study(study_name=name, storage=open_storage(postgres.url))
    assert audit(study, cora).completed >= 3  # nothing recorded is lost
