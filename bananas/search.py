"""Scripted searches: a method on a space, every evaluation one trial of an Optuna study.

The study is the search log. Running the same search again on the same
storage and study name continues it to the budget (completed trials count,
failed ones do not); a study made with another space, dataset or method is
refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import optuna
from optuna.samplers import BaseSampler
from optuna.trial import TrialState

from bananas._version import __version__
from bananas.evaluators import Result
from bananas.samplers import BananasSampler, EvolutionSampler, RandomSearchSampler
from bananas.samplers._base import FAIL_REASON, RETRY, ValidProposals
from bananas.spaces import Space
from bananas.storage import WORKER
from bananas.warmstart import TRANSFER_SHARE, WARM_START, WarmStart

METHODS = ("bananas", "random", "re", "tpe", "gp", "pool-random")
RETRY_OF = "retry_of"
CONFIG_ATTR = "bananas"
IDENTITY = ("space", "dataset", "method")


class EvaluationFailed(Exception):
    """An evaluation that failed; its trial is recorded as FAIL with the reason."""


class StudyMismatch(ValueError):
    """The study on the storage was made for another search."""


def make_sampler(method: str, space: Space, seed: int | None, **options: Any) -> BaseSampler:
    """Return the sampler of ``method`` (one of ``METHODS``); ``options`` go to BANANAS's sampler."""
    if method == "bananas":
        return BananasSampler(space=space, seed=seed, **options)
    if method == "pool-random":
        return BananasSampler(space=space, seed=seed, **{**options, "acquisition": "random"})
    if method == "random":
        return RandomSearchSampler(space=space, seed=seed)
    if method == "re":
        return EvolutionSampler(space=space, seed=seed)
    if method == "tpe":
        return ValidProposals(optuna.samplers.TPESampler(seed=seed), space, seed)
    if method == "gp":
        return ValidProposals(optuna.samplers.GPSampler(seed=seed), space, seed)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def make_objective(space: Space, evaluator: Any) -> Callable[[optuna.Trial], float]:
    """Return the objective: build the trial's architecture, evaluate it, record its metrics (and, for
    evaluators that train, the validation accuracy per epoch as intermediate values)."""

    def objective(trial: optuna.Trial) -> float:
        arch = space.suggest(trial)
        trial.set_user_attr("arch", space.to_string(arch))
        return record(trial, evaluator.evaluate(arch, on_epoch=reporter(trial)))

    return objective


def reporter(trial: optuna.Trial) -> Callable[[int, float], None]:
    """Return ``on_epoch`` for an evaluator: report the validation accuracy, stop if the pruner says so."""

    def on_epoch(epoch: int, valid_acc: float) -> None:
        trial.report(valid_acc, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch} at validation accuracy {valid_acc:.2f}")

    return on_epoch


def record(trial: optuna.Trial, result: Result) -> float:
    """Record ``result`` in the trial's user attrs; return the objective (EvaluationFailed if it failed)."""
    trial.set_user_attr("cost_seconds", result.cost)
    if not result.ok:
        trial.set_user_attr(FAIL_REASON, result.reason)
        raise EvaluationFailed(result.reason)
    for name, value in result.metrics.items():
        trial.set_user_attr(name, value)
    return float(result.metrics["valid_acc"])


def open_study(storage: Any, study_name: str, config: dict[str, Any]) -> optuna.Study:
    """Create the study, or load it and check it was made for the same space, dataset and method.

    ``config`` is stored in the study's user attrs under ``"bananas"`` with the
    bananas version; the storage may be a URL or an Optuna storage object.
    """
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize", load_if_exists=True)
    stored = study.user_attrs.get(CONFIG_ATTR)
    if stored is None:
        if study.trials:
            raise StudyMismatch(f"study {study_name!r} exists but was not made by bananas; choose another --study-name")
        study.set_user_attr(CONFIG_ATTR, {**config, "version": __version__})
        for key in IDENTITY:
            study.set_user_attr(key, config[key])
        return study
    wrong = [f"{k} {stored.get(k)!r} (asked: {config[k]!r})" for k in IDENTITY if stored.get(k) != config[k]]
    if wrong:
        raise StudyMismatch(
            f"study {study_name!r} was made for another search: {', '.join(wrong)}; "
            "use another --study-name or the same settings"
        )
    return study


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
    names = space.distributions().keys()
    count = 0
    for t in trials:
        if WORKER in t.user_attrs:
            continue
        if t.state == TrialState.RUNNING:
            study._storage.set_trial_user_attr(t._trial_id, FAIL_REASON, "left RUNNING by a process that stopped")
            study._storage.set_trial_user_attr(t._trial_id, RETRY, True)
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        elif t.state != TrialState.FAIL or FAIL_REASON in t.user_attrs:
            continue
        if all(n in t.params for n in names) and t.number not in retried:
            study.enqueue_trial(t.params, user_attrs={RETRY_OF: t.number})
            count += 1
    return count


def n_complete(study: optuna.Study) -> int:
    """Return the number of COMPLETE trials of ``study`` that this search evaluated (not warm-start ones)."""
    return sum(WARM_START not in t.user_attrs for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


PRUNERS = {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)}


def make_pruner(pruner: str | optuna.pruners.BasePruner | None) -> optuna.pruners.BasePruner:
    """Return the pruner named in ``PRUNERS``, the one given, or none (Optuna's default would prune)."""
    if pruner is None:
        return optuna.pruners.NopPruner()
    if isinstance(pruner, str):
        if pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {pruner!r}; choose one of {', '.join(PRUNERS)}")
        return PRUNERS[pruner]()
    return pruner


def prepare_study(
    space: Space,
    evaluator: Any,
    *,
    method: str = "bananas",
    budget: int = 150,
    seed: int | None = 0,
    storage: Any = None,
    study_name: str | None = None,
    sampler_options: dict[str, Any] | None = None,
    warm_start: WarmStart | None = None,
    pruner: str | optuna.pruners.BasePruner | None = None,
) -> optuna.Study:
    """Open (or create) the study of a search, with its sampler and pruner; evaluate nothing.

    The study's user attr ``"bananas"`` records what a worker needs to join it: space,
    dataset, method, seed, budget (updated when a later run asks for another),
    ``sampler_options``, the evaluator's settings and the pruner's name.
    """
    sampler_options = dict(sampler_options or {})
    if warm_start is not None and warm_start.transfers_to(space):
        n_init = sampler_options.get("n_startup_trials", 10)
        n_prior = math.ceil(TRANSFER_SHARE * n_init)
        sampler_options["initial_design"] = warm_start.initial_design(space, n_prior)
    config = {**space.describe(), "method": method, "seed": seed, "budget": budget, "sampler_options": sampler_options}
    if hasattr(evaluator, "describe"):
        config["evaluator"] = evaluator.describe()
    if isinstance(pruner, str):
        config["pruner"] = pruner
    study_name = study_name or f"{space.name}-{space.dataset}-{method}-seed{seed}"
    study = open_study(storage if storage is not None else optuna.storages.InMemoryStorage(), study_name, config)
    stored = study.user_attrs[CONFIG_ATTR]
    if stored.get("budget") != budget:
        study.set_user_attr(CONFIG_ATTR, {**stored, "budget": budget})
    study.sampler = make_sampler(method, space, seed, **sampler_options)
    study.pruner = make_pruner(pruner)
    if warm_start is not None and not warm_start.transfers_to(space):
        warm_start.add_observations(study, space)
    return study


def run_search(
    space: Space,
    evaluator: Any,
    *,
    callbacks: list[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] | None = None,
    max_failures: int | None = None,
    **study_options: Any,
) -> optuna.Study:
    """Run (or continue) a search in this process until the study holds its budget of completed
    trials; return the study. (Several processes on one study: ``bananas.workers``.)

    Args:
        callbacks: called after each trial, as in ``Study.optimize``.
        max_failures: stop with RuntimeError after this many failed (or pruned) evaluations
            in this run (default: the budget).
        study_options: those of ``prepare_study``: ``method`` (default ``"bananas"``), ``budget``
            (150), ``seed`` (0), ``storage`` (an Optuna storage URL or object; default: in memory),
            ``study_name`` (default ``"{space}-{dataset}-{method}-seed{seed}"``), ``sampler_options``
            (BANANAS options: batch_size, acquisition, encoding, ...), ``warm_start`` (prior
            evaluations, see ``WarmStart``; the budget counts only this search's own), ``pruner``
            (an Optuna pruner or a name from ``PRUNERS``, for evaluators that report epochs; pruned
            trials do not count towards the budget and are not proposed again).
    """
    study = prepare_study(space, evaluator, **study_options)
    budget = study.user_attrs[CONFIG_ATTR]["budget"]
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
        make_objective(space, evaluator),
        callbacks=[stop_at_budget_or_failures, *(callbacks or [])],
        catch=(EvaluationFailed,),
    )
    if failures > max_failures:
        raise RuntimeError(
            f"stopped after {failures} failed or pruned evaluations; see the trials' fail_reason and states"
        )
    return study
