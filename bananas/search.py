"""Scripted searches: a method on a space, every evaluation one trial of an Optuna study.

The study is the search log. Running the same search again on the same
storage and study name continues it to the budget (completed trials count,
failed ones do not); a study made with another space, dataset or method is
refused. Several processes on one study: ``bananas.workers``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import optuna
from optuna.trial import TrialState

from bananas.evaluators import EvaluationFailed, Evaluator, OnEpoch, Result, StopEvaluation
from bananas.lease import search_lease
from bananas.objectives import OBJECTIVE, Constraints
from bananas.spaces import Arch, Space
from bananas.study import prepare_study
from bananas.trials import (
    ARCH,
    CONFIG,
    COST_SECONDS,
    FAIL_REASON,
    PRUNED,
    RETRY_OF,
    SUPERNET_EPOCHS,
    WORKER,
    fail_unfinished,
    has_arch,
    n_complete,
    set_constraints,
)
from bananas.validation import accuracy_problem, metrics_problem

T = TypeVar("T")
Callback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


def _direct(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return fn(*args, **kwargs)


def reporter(trial: optuna.Trial, call: Callable[..., Any] = _direct) -> OnEpoch:
    """Return ``on_epoch`` for an evaluator: report the validation accuracy as the trial's intermediate
    value (after a one-shot trial's supernet epochs); raise ``StopEvaluation`` if the pruner says so.
    ``call`` wraps the storage calls."""
    attrs = call(trial.study._storage.get_trial_user_attrs, trial._trial_id)  # set by a sampler, not cached here
    offset = int(attrs.get(SUPERNET_EPOCHS, 0))

    def on_epoch(epoch: int, valid_acc: float) -> None:
        call(trial.report, valid_acc, offset + epoch)
        if call(trial.should_prune):
            raise StopEvaluation(f"pruned after epoch {epoch} at validation accuracy {valid_acc:.2f}")

    return on_epoch


def record(
    trial: optuna.Trial, result: Result, objectives: Sequence[str] = (OBJECTIVE,), constraints: Sequence[str] = ()
) -> float | list[float]:
    """Record ``result`` in the trial's user attrs (and the ``constraints``' values); return the objective,
    or with several the list of their values (EvaluationFailed if it failed)."""
    trial.set_user_attr(COST_SECONDS, result.cost)
    missing = [m for m in objectives if m not in result.metrics]
    problem = metrics_problem(result.metrics) or accuracy_problem(result.metrics.get(OBJECTIVE))
    problem = problem or (f"no {', '.join(missing)} (an objective)" if missing else "")
    if result.ok and problem:
        result = Result(cost=result.cost, status="fail", reason=f"the evaluator returned {problem}")
    if not result.ok:
        trial.set_user_attr(FAIL_REASON, result.reason)
        raise EvaluationFailed(result.reason)
    for name, value in result.metrics.items():
        trial.set_user_attr(name, value)
    if constraints:
        set_constraints(trial, Constraints(constraints).of(result.metrics))
    values = [float(result.metrics[m]) for m in objectives]
    return values if len(values) > 1 else values[0]


def evaluate(
    trial: optuna.Trial,
    arch: Arch,
    evaluator: Evaluator,
    call: Callable[..., Any] = _direct,
    objectives: Sequence[str] = (OBJECTIVE,),
    constraints: Sequence[str] = (),
) -> float | list[float]:
    """Evaluate the trial's architecture and record the outcome; return the objective (or objectives).

    Raises ``optuna.TrialPruned`` when the pruner stopped it (user attr ``pruned``) and
    ``EvaluationFailed`` when the evaluation failed. ``call`` wraps every storage call
    (a worker's retries while the database restarts).
    """
    try:
        result = evaluator.evaluate(arch, on_epoch=reporter(trial, call))
    except StopEvaluation as stop:
        call(trial.set_user_attr, PRUNED, str(stop))
        raise optuna.TrialPruned(str(stop)) from None
    return call(record, trial, result, objectives, constraints)


def make_objective(
    space: Space, evaluator: Evaluator, objectives: Sequence[str] = (OBJECTIVE,), constraints: Sequence[str] = ()
) -> Callable[[optuna.Trial], float | list[float]]:
    """Return the objective: build the trial's architecture, evaluate it, record its metrics (and, for
    evaluators that train, the validation accuracy per epoch as intermediate values); the study's
    values are the ``objectives`` metrics, its constraint values those of ``constraints``."""

    def objective(trial: optuna.Trial) -> float | list[float]:
        arch = space.suggest(trial)
        trial.set_user_attr(ARCH, space.to_string(arch))
        return evaluate(trial, arch, evaluator, objectives=objectives, constraints=constraints)

    return objective


def requeue_interrupted(study: optuna.Study, space: Space) -> int:
    """Re-enqueue the architectures of trials whose evaluation never finished; return how many.

    Trials left RUNNING (by a process that died or was killed) become FAIL with
    ``fail_reason`` and ``retry`` attrs; FAIL trials without a ``fail_reason``
    were stopped by Ctrl-C. The params of each are enqueued once (the new
    trial's ``retry_of`` names the old), so the next trials evaluate them again.
    A trial stopped before all its params were set had no architecture yet and
    is not enqueued: half-fixed params would mix with another proposal.
    Only for a study that one process works on (``bananas search``): there, a
    RUNNING trial at start-up is an orphan. Trials of workers (user attr
    ``worker``) are left to their heartbeat (``bananas.workers``).
    """
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get(RETRY_OF) for t in trials}
    count = 0
    for t in trials:
        if WORKER in t.user_attrs:
            continue
        if t.state == TrialState.RUNNING:
            fail_unfinished(study, t, "left RUNNING by a process that stopped", retry=True)
        elif t.state != TrialState.FAIL or FAIL_REASON in t.user_attrs:
            continue
        if has_arch(t, space) and t.number not in retried:
            study.enqueue_trial(t.params, user_attrs={RETRY_OF: t.number})
            count += 1
    return count


def run_search(
    space: Space,
    evaluator: Evaluator,
    *,
    callbacks: list[Callback] | None = None,
    max_failures: int | None = None,
    **study_options: Any,
) -> optuna.Study:
    """Run (or continue) a search in this process until the study holds its budget of completed
    trials; return the study. ``bananas.lease.StudyBusy`` if another process runs a search on it.

    Args:
        callbacks: called after each trial, as in ``Study.optimize``.
        max_failures: stop with RuntimeError after this many failed (or pruned) evaluations
            in this run (default: the budget).
        study_options: those of ``bananas.study.prepare_study``: ``method`` (default ``"bananas"``),
            ``budget`` (150), ``seed`` (0), ``storage`` (an Optuna storage URL or object; default: in
            memory), ``study_name`` (default ``"{space}-{dataset}-{method}-seed{seed}"``),
            ``sampler_options`` (BANANAS options: batch_size, acquisition, encoding, ...),
            ``warm_start`` (prior evaluations, see ``WarmStart``; the budget counts only this search's
            own), ``pruner`` (an Optuna pruner or a name from ``PRUNERS``, for evaluators that report
            epochs; pruned trials do not count towards the budget and are not proposed again).
    """
    study = prepare_study(space, evaluator, **study_options)
    with search_lease(study):
        return _search(study, space, evaluator, callbacks or [], max_failures)


def _search(
    study: optuna.Study, space: Space, evaluator: Evaluator, callbacks: list[Callback], max_failures: int | None
) -> optuna.Study:
    budget = study.user_attrs[CONFIG]["budget"]
    objectives = study.user_attrs[CONFIG].get("objectives", [OBJECTIVE])
    constraints = study.user_attrs[CONFIG].get("constraints", [])
    requeue_interrupted(study, space)
    done = n_complete(study)
    if done >= budget:
        return study
    max_failures = budget if max_failures is None else max_failures
    failures = 0

    def stop_at_budget_or_failures(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        nonlocal done, failures
        done += trial.state == TrialState.COMPLETE  # warm-start trials are all added before optimize
        failures += trial.state in (TrialState.FAIL, TrialState.PRUNED)  # a pruner may stop every run
        if failures > max_failures or done >= budget:
            study.stop()

    study.optimize(
        make_objective(space, evaluator, objectives, constraints),
        callbacks=[stop_at_budget_or_failures, *callbacks],
        catch=(EvaluationFailed,),
    )
    if failures > max_failures:
        raise RuntimeError(
            f"stopped after {failures} failed or pruned evaluations; see the trials' fail_reason and states"
        )
    return study
