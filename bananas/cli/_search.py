"""``bananas search``: run or continue a search in this process, or with local worker processes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bananas.cli._common import UserError, open_storage, quiet_optuna
from bananas.cli._parser import sampler_options
from bananas.cli._report import evaluation_line, print_summary, progress_note


def _evaluator_description(args: argparse.Namespace) -> dict[str, Any]:
    """Return the evaluator's description (``Evaluator.describe`` form) from the flags."""
    if args.evaluator == "table":
        return {"kind": "table", "simulated_cost": args.simulated_cost}
    return {
        "kind": "train",
        "epochs": args.epochs,
        "time_budget": args.time_budget,
        "batch_size": args.train_batch_size,
        "train_subset": args.train_subset,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "channels": args.channels,
        "n_cells": args.cells,
        "device": args.device,
        "seed": args.seed,
        "inherit_weights": args.inherit_weights,
        "inherit_epochs": args.inherit_epochs,
    }


TRAINING_FLAGS = (
    "data_dir", "epochs", "time_budget", "train_batch_size", "train_subset", "optimizer", "lr", "channels", "cells",
    "inherit_weights", "inherit_epochs", "prune",
)  # fmt: skip
BANANAS_FLAGS = (
    "batch_size", "n_init", "acquisition", "encoding", "predictor", "fidelity", "whole_space", "mo_acquisition",
)  # fmt: skip
WORKER_FLAGS = ("heartbeat_interval", "grace_period")


def _check_flags(args: argparse.Namespace) -> None:
    """UserError for flags given where they do nothing (a flag still at its default counts as not given)."""
    from bananas.cli._parser import build_parser
    from bananas.methods import BANANAS_OPTIONS, ONE_SHOT

    defaults = vars(build_parser().parse_args(["search"]))

    def given(names: tuple[str, ...]) -> list[str]:
        return ["--" + n.replace("_", "-") for n in names if getattr(args, n) != defaults[n]]

    training = args.evaluator == "train"
    unused = [
        (
            given(("simulated_cost",) if training else TRAINING_FLAGS),
            "table lookups" if training else "--evaluator train",
        ),
        ([] if args.method in BANANAS_OPTIONS else given(BANANAS_FLAGS), f"--method {' or '.join(BANANAS_OPTIONS)}"),
        ([] if args.warm_start else given(("warm_start_study", "skip_malformed")), "--warm-start"),
        ([] if args.workers else given(WORKER_FLAGS), "--workers"),
        (
            [] if args.method in ONE_SHOT or args.fidelity == "supernet" else given(("supernet_epochs",)),
            f"--method {', '.join(ONE_SHOT)} or --fidelity supernet",
        ),
        ([] if len(args.objectives) > 1 else given(("mo_acquisition",)), "several --objectives"),
    ]
    for flags, only in unused:
        if flags:
            raise UserError(f"{', '.join(flags)}: only for {only}, so it would do nothing here; drop it")


def cmd_search(args: argparse.Namespace) -> None:
    from bananas.datasets import DataError
    from bananas.evaluators import evaluation_space, from_description
    from bananas.lease import StudyBusy
    from bananas.signals import interrupted, stop_on_signals
    from bananas.storage import mask
    from bananas.study import StudyMismatch, default_study_name, prepare_study
    from bananas.warmstart import load_warm_start
    from bananas.workers import check_local_workers

    quiet_optuna()
    _check_flags(args)
    try:
        if args.workers:
            check_local_workers(args.workers, args.budget)
        space = evaluation_space(args.evaluator, args.space, args.dataset, args.table)
        evaluator = from_description(_evaluator_description(args), space, data_dir=args.data_dir)
    except (DataError, ValueError, RuntimeError) as err:
        raise UserError(str(err)) from None
    args.dataset = space.dataset
    storage = open_storage(args.storage)
    study_name = args.study_name or default_study_name(
        args.space, args.dataset, args.method, args.seed, args.objectives, args.constraint
    )
    warm_start = None
    if args.warm_start:
        try:
            warm_start = load_warm_start(args.warm_start, args.warm_start_study, skip_malformed=args.skip_malformed)
        except (OSError, KeyError, ValueError) as err:
            raise UserError(f"cannot warm-start from {mask(args.warm_start)!r}: {err}") from None
    study_options = {
        "method": args.method,
        "budget": args.budget,
        "seed": args.seed,
        "storage": storage,
        "study_name": study_name,
        "sampler_options": sampler_options(args),
        "warm_start": warm_start,
        "pruner": "median" if args.prune else None,
        "objectives": args.objectives,
        "constraints": args.constraint,
    }
    stop_on_signals()  # Ctrl-C or SIGTERM: the running trial fails and is evaluated again on resume
    try:
        if args.workers is not None:
            _with_workers(args, space, prepare_study(space, evaluator, **study_options))
            return
        study = _in_this_process(args, space, evaluator, study_options)
    except (StudyMismatch, StudyBusy, ValueError) as err:
        raise UserError(str(err)) from None
    except RuntimeError as err:  # too many failed evaluations; StorageUnavailable
        if interrupted(err):
            raise
        raise UserError(f"{err}; fix what the fail_reason says, then run the same command again") from None
    except BaseException as err:
        if not interrupted(err):
            raise
        print(
            f"\nstopped; completed trials are kept in {mask(args.storage)} (study {study_name!r}). "
            "Run the same command again to continue.",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    print_summary(study, space, mask(args.storage))


def _in_this_process(args: argparse.Namespace, space: Any, evaluator: Any, study_options: dict[str, Any]) -> Any:
    """Run the search with a progress bar (and, when training, one line per evaluation); return the study."""
    import optuna
    from optuna.trial import TrialState
    from tqdm.auto import tqdm

    from bananas.search import run_search
    from bananas.trials import n_complete

    bar = None

    def progress(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        nonlocal bar
        complete = trial.state == TrialState.COMPLETE
        if bar is None:  # the first finished trial of this run: count what the study already holds
            initial = n_complete(study) - complete
            desc = f"{args.method} {args.dataset}"
            bar = tqdm(total=args.budget, initial=initial, desc=desc, unit="eval", disable=args.quiet)
        bar.update(complete)
        if bar.n and complete:
            bar.set_postfix_str(progress_note(study))
        if args.evaluator == "train" and not args.quiet:
            bar.write(evaluation_line(trial, bar.n, args.budget))

    try:
        return run_search(space, evaluator, callbacks=[progress], **study_options)
    finally:
        if bar is not None:
            bar.close()


def _with_workers(args: argparse.Namespace, space: Any, study: Any) -> None:
    """Run ``--workers`` local worker processes on the (new or reopened) study to its budget."""
    from tqdm.auto import tqdm

    from bananas.storage import mask
    from bananas.trials import n_complete
    from bananas.workers import WorkerOptions, spawn_workers, supervise

    name = study.study_name
    if args.workers == 0:
        print(
            f"study {name!r} is ready in {mask(args.storage)}; start workers with: "
            f"bananas worker --study-name {name} (storage from --storage or $BANANAS_STORAGE)"
        )
        return
    options = WorkerOptions(
        heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period,
        db_timeout=args.db_timeout,
        data_dir=args.data_dir,
        device=args.device,
    )
    procs = spawn_workers(args.storage, name, args.workers, args.seed, options)
    bar = tqdm(total=args.budget, desc=f"{args.method} {args.dataset} ×{args.workers}", unit="eval", disable=args.quiet)
    try:
        failed = supervise(procs, study, on_progress=lambda done: bar.update(done - bar.n), db_timeout=args.db_timeout)
    finally:
        bar.close()
    if n_complete(study) < args.budget:
        raise UserError(
            f"{'; '.join(failed) or 'the workers stopped'} before the budget was reached; "
            "run the same command again to continue"
        )
    if failed:
        print(f"note: {'; '.join(failed)}; other workers took over its trials", file=sys.stderr)
    print_summary(study, space, mask(args.storage))
