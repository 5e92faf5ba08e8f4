"""``bananas worker``: join a study made by ``bananas search`` and evaluate its trials."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bananas.cli._common import UserError, open_storage, quiet_optuna
from bananas.cli._report import evaluation_line


def cmd_worker(args: argparse.Namespace) -> None:
    from bananas.signals import interrupted, stop_on_signals
    from bananas.storage import mask
    from bananas.trials import CONFIG, n_complete
    from bananas.workers import run_worker, worker_name

    quiet_optuna()
    storage = open_storage(args.storage, args.heartbeat_interval, args.grace_period)
    me = worker_name()
    stop_on_signals()

    def line(study: Any, trial: Any) -> None:
        if not args.quiet:
            budget = study.user_attrs[CONFIG]["budget"]
            print(f"{me} {evaluation_line(trial, n_complete(study), budget)}", flush=True)

    try:
        report = run_worker(
            storage,
            args.study_name,
            seed=args.seed,
            data_dir=args.data_dir,
            device=args.device,
            max_failures=args.max_failures,
            db_timeout=args.db_timeout,
            callbacks=[line],
        )
    except KeyError:
        raise UserError(f"no study {args.study_name!r} in {mask(args.storage)}") from None
    except (ValueError, RuntimeError) as err:  # StorageUnavailable and too many failures included
        raise UserError(str(err)) from None
    except BaseException as err:
        if not interrupted(err):
            raise
        print(f"\nworker {me} stopped; its trial was handed back to the study", file=sys.stderr)
        raise SystemExit(130) from None
    if not args.quiet:
        print(
            f"worker {me} done: {report.completed} completed, {report.failed} failed, {report.skipped} skipped, "
            f"{report.retried} trials of dead workers retried"
        )
