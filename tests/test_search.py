import optuna
import pytest
from optuna.trial import TrialState

from bananas.evaluators import Result, TabularEvaluator
from bananas.search import run_search
from bananas.spaces import NBGraphSpace
from bananas.study import StudyMismatch


def _complete(study):
    return [t for t in study.trials if t.state == TrialState.COMPLETE]


def test_running_again_continues_to_the_budget(cora, tmp_path):
    storage = f"sqlite:///{tmp_path}/s.db"
    first = run_search(cora, TabularEvaluator(cora), method="random", budget=12, seed=0, storage=storage)
    before = [(t.number, t.params, t.value) for t in _complete(first)]
    again = run_search(cora, TabularEvaluator(cora), method="random", budget=12, seed=0, storage=storage)
    assert len(again.trials) == 12  # nothing re-run
    more = run_search(cora, TabularEvaluator(cora), method="random", budget=20, seed=0, storage=storage)
    done = _complete(more)
    assert len(done) == 20 and [(t.number, t.params, t.value) for t in done[:12]] == before
    assert len({t.user_attrs["arch"] for t in done}) == 20


def test_a_study_of_another_search_is_refused(cora, tmp_path):
    storage = f"sqlite:///{tmp_path}/s.db"
    run_search(cora, TabularEvaluator(cora), method="random", budget=3, storage=storage, study_name="x")
    citeseer = NBGraphSpace("citeseer")
    with pytest.raises(StudyMismatch, match="dataset 'cora'"):
        run_search(citeseer, TabularEvaluator(citeseer), method="random", budget=3, storage=storage, study_name="x")
    with pytest.raises(StudyMismatch, match="method 'random'"):
        run_search(cora, TabularEvaluator(cora), method="re", budget=3, storage=storage, study_name="x")
    optuna.create_study(storage=storage, study_name="foreign").optimize(lambda t: 0.0, n_trials=1)
    with pytest.raises(StudyMismatch, match="not made by bananas"):
        run_search(cora, TabularEvaluator(cora), budget=3, storage=storage, study_name="foreign")


def test_study_attrs_say_what_was_searched(cora):
    study = run_search(cora, TabularEvaluator(cora), method="re", budget=2, seed=4)
    assert study.user_attrs["space"] == "nbgraph" and study.user_attrs["dataset"] == "cora"
    assert study.user_attrs["bananas"]["seed"] == 4 and "version" in study.user_attrs["bananas"]


class FlakyEvaluator:
    """Fails every third evaluation."""

    def __init__(self, space):
        self.inner, self.calls = TabularEvaluator(space), 0

    def describe(self):
        return {"kind": "flaky"}

    def evaluate(self, arch, on_epoch=None):
        self.calls += 1
        if self.calls % 3 == 0:
            return Result(status="fail", reason="loss is NaN")
        return self.inner.evaluate(arch)


def test_failed_evaluations_are_fail_trials_with_a_reason(cora):
    study = run_search(cora, FlakyEvaluator(cora), method="random", budget=10, seed=0)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(_complete(study)) == 10 and len(failed) >= 4
    assert all(t.user_attrs["fail_reason"] == "loss is NaN" for t in failed)
    assert not {t.user_attrs["arch"] for t in failed} & {t.user_attrs["arch"] for t in _complete(study)}


def test_endless_failures_stop_with_a_message(cora):
    class Broken:
        def describe(self):
            return {"kind": "broken"}

        def evaluate(self, arch, on_epoch=None):
            return Result(status="fail", reason="broken")

    with pytest.raises(RuntimeError, match="failed or pruned evaluations"):
        run_search(cora, Broken(), method="random", budget=3, max_failures=5)


def test_trials_left_running_by_a_dead_process_are_failed_and_redone(cora, tmp_path):
    storage = f"sqlite:///{tmp_path}/s.db"
    run_search(cora, TabularEvaluator(cora), method="random", budget=5, seed=0, storage=storage, study_name="k")
    study = optuna.load_study(storage=storage, study_name="k")
    orphan = study.ask()  # as if a process died mid-evaluation
    cora.suggest(orphan)
    done = run_search(cora, TabularEvaluator(cora), method="random", budget=8, seed=0, storage=storage, study_name="k")
    stale = done.trials[orphan.number]
    assert stale.state == TrialState.FAIL and "RUNNING" in stale.user_attrs["fail_reason"]
    assert len(_complete(done)) == 8
    redone = [t for t in _complete(done) if t.params == stale.params]
    assert len(redone) == 1 and redone[0].number > stale.number  # its architecture was evaluated again


def test_sigkill_mid_run_then_the_same_command_finishes_the_budget(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.test_cli import wait_for_trials

    db = f"sqlite:///{tmp_path}/k.db"
    name = "nbgraph-cora-bananas-seed0"
    args = [sys.executable, "-m", "bananas", "search", "--budget", "50", "--storage", db, "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_trials(db, name, 15)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = {t.number: t for t in optuna.load_study(storage=db, study_name=name).trials}
    kept = {n: t.params for n, t in before.items() if t.state == TrialState.COMPLETE}
    assert 0 < len(kept) < 50
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    after = optuna.load_study(storage=db, study_name=name)
    done = _complete(after)
    assert len(done) == 50 and len({t.user_attrs["arch"] for t in done}) == 50
    assert all(after.trials[n].params == p for n, p in kept.items())  # nothing recorded was lost
    for n, t in before.items():
        if t.state == TrialState.RUNNING:
            assert after.trials[n].state == TrialState.FAIL and after.trials[n].user_attrs["retry"]


def test_a_trial_stopped_between_its_params_is_not_enqueued_half_fixed(cora, tmp_path):
    storage = f"sqlite:///{tmp_path}/s.db"
    run_search(cora, TabularEvaluator(cora), method="bananas", budget=12, seed=0, storage=storage, study_name="h")
    study = optuna.load_study(storage=storage, study_name="h")
    best = study.best_trial
    half = study.ask()  # Ctrl-C after two of the seven params: FAIL without a fail_reason
    half.suggest_int("link1", 0, 0)
    half.suggest_int("link2", best.params["link2"], best.params["link2"])
    study.tell(half, state=TrialState.FAIL)
    evaluator = TabularEvaluator(cora)
    done = run_search(cora, evaluator, method="bananas", budget=30, seed=0, storage=storage, study_name="h")
    assert not any(t.user_attrs.get("retry_of") == half.number for t in done.trials)
    assert len(_complete(done)) == 30 and len({t.user_attrs["arch"] for t in _complete(done)}) == 30


def test_an_enqueued_architecture_does_not_use_up_a_proposal(cora):
    study = run_search(cora, TabularEvaluator(cora), method="bananas", budget=12, seed=0)
    arch = cora.sample(__import__("numpy").random.default_rng(5))
    study.enqueue_trial(cora.to_params(arch))
    fit = study.sampler._fit
    trial = study.ask()
    assert cora.key(cora.suggest(trial)) == cora.key(arch)
    assert study.sampler._fit is fit and "iteration" not in study.trials[trial.number].user_attrs
