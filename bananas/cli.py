"""The ``bananas`` command: search, benchmark, predictor-eval.

Heavy modules (torch, botorch, optuna) are imported inside the commands so
that ``bananas --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SPACES = ("nbgraph", "nb201")
METHODS = ("bananas", "random", "re", "tpe", "gp", "pool-random")
DEFAULT_STORAGE = "sqlite:///bananas.db"


class UserError(Exception):
    """A mistake in the command line or its inputs: printed as one line, no traceback."""


def _int_at_least(low: int) -> Any:
    """Return an argparse type that reads an integer >= ``low``."""
    kind = "positive" if low == 1 else "non-negative" if low == 0 else f">= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)


def _add_storage_arg(p: argparse.ArgumentParser) -> None:
    import os

    p.add_argument(
        "--storage",
        default=os.environ.get("BANANAS_STORAGE", DEFAULT_STORAGE),
        help=f"Optuna storage URL or journal file PATH.log (default: $BANANAS_STORAGE, else {DEFAULT_STORAGE}). "
        "SQLite: one process; a journal file: workers on one machine; postgresql://user@host:5432/db: workers "
        "on many machines, the password from the URL, $BANANAS_STORAGE or libpq's $PGPASSWORD / ~/.pgpass. "
        "Passwords are never printed",
    )


def mask(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``."""
    from bananas.storage import mask as _mask

    return _mask(url)


def _add_space_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", default="nbgraph", choices=SPACES, help="search space (default: nbgraph)")
    p.add_argument(
        "--dataset",
        help="nbgraph: cora (default), citeseer, pubmed, cs, arxiv, physics, photo, computers, proteins; "
        "nb201 tables: cifar10 (default), cifar100 or any with --table; nb201 training: digits, cifar10, cifar100",
    )
    p.add_argument(
        "--table",
        metavar="PATH.csv",
        help="nb201: a results table (columns: arch str, validation accuracy, test accuracy), not the shipped one",
    )


def _space(args: argparse.Namespace, training: bool = False) -> Any:
    """Return the space of ``--space/--dataset/--table`` (with its results table unless ``training``,
    which needs the NB-201 space); UserError on a bad choice."""
    from bananas.spaces import NB201Space, get_tabular_space

    if training and args.space != "nb201":
        raise UserError("--evaluator train builds NAS-Bench-201 networks; add --space nb201")
    if args.dataset is None:
        args.dataset = {"nbgraph": "cora", "nb201": "digits" if training else "cifar10"}[args.space]
    if training:
        return NB201Space(args.dataset)  # no table: the summary reports accuracies, not regrets
    try:
        return get_tabular_space(args.space, args.dataset, args.table)
    except ValueError as err:
        raise UserError(str(err)) from None


def _add_bananas_args(p: argparse.ArgumentParser) -> None:
    from bananas.acquisition import ACQUISITIONS, DEFAULT_ACQUISITION
    from bananas.encodings import DEFAULT_ENCODING, ENCODINGS
    from bananas.predictors import PREDICTORS

    g = p.add_argument_group("BANANAS options")
    g.add_argument("--batch-size", type=_positive_int, default=10, help="architectures per model fit (default: 10)")
    g.add_argument("--n-init", type=_positive_int, default=10, help="random architectures first (default: 10)")
    g.add_argument(
        "--acquisition",
        default=DEFAULT_ACQUISITION,
        choices=[a for a in ACQUISITIONS if a != "random"],
        help=f"acquisition function (default: {DEFAULT_ACQUISITION})",
    )
    g.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        choices=list(ENCODINGS),
        help=f"architecture encoding (default: {DEFAULT_ENCODING})",
    )
    g.add_argument("--predictor", default="mlp", choices=list(PREDICTORS), help="accuracy predictor (default: mlp)")


def _add_training_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training (--evaluator train, --space nb201)")
    g.add_argument(
        "--evaluator",
        default="table",
        choices=("table", "train"),
        help="look architectures up in the space's table (default) or train them with PyTorch",
    )
    g.add_argument("--data-dir", help="folder with cifar-10-batches-py / cifar-100-python (digits needs none)")
    g.add_argument("--epochs", type=_positive_int, default=10, help="epochs per evaluation (default: 10)")
    g.add_argument("--time-budget", type=float, help="seconds of training per evaluation, at most")
    g.add_argument("--train-batch-size", type=_positive_int, default=32, help="images per step (default: 32)")
    g.add_argument("--optimizer", default="sgd", choices=("sgd", "adamw"), help="with cosine decay (default: sgd)")
    g.add_argument("--lr", type=float, help="learning rate (default: 0.05 for sgd, 0.003 for adamw)")
    g.add_argument("--channels", type=_positive_int, default=8, help="C: stages have C, 2C, 4C channels (default: 8)")
    g.add_argument("--cells", type=_positive_int, default=1, help="N: cells per stage (default: 1)")
    g.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1, ...")
    g.add_argument(
        "--inherit-weights",
        action="store_true",
        help="a candidate one edge op from an evaluated one starts from its weights",
    )
    g.add_argument("--inherit-epochs", type=_positive_int, help="epochs of an inheriting candidate (default: half)")
    g.add_argument("--prune", action="store_true", help="stop poor trainings early (Optuna's MedianPruner)")
    p.add_argument(
        "--simulated-cost",
        type=_simulated_cost,
        metavar="SECONDS",
        help="table lookups sleep SECONDS (or a random LOW-HIGH), to rehearse runs with several workers",
    )


def _add_worker_args(p: argparse.ArgumentParser) -> None:
    from bananas.storage import DB_TIMEOUT, GRACE_PERIOD, HEARTBEAT_INTERVAL

    g = p.add_argument_group("workers (several processes on one study)")
    g.add_argument(
        "--heartbeat-interval",
        type=_positive_int,
        default=HEARTBEAT_INTERVAL,
        help=f"seconds between a running trial's heartbeats (default: {HEARTBEAT_INTERVAL})",
    )
    g.add_argument(
        "--grace-period",
        type=_positive_int,
        default=GRACE_PERIOD,
        help=f"seconds without a heartbeat before a trial is retried by another worker (default: {GRACE_PERIOD})",
    )
    g.add_argument(
        "--db-timeout",
        type=float,
        default=DB_TIMEOUT,
        help=f"seconds to keep retrying a database that stopped answering (default: {DB_TIMEOUT:.0f})",
    )


def _simulated_cost(text: str) -> float | tuple[float, float]:
    """Read ``SECONDS`` or ``LOW-HIGH``."""
    try:
        low, _, high = text.partition("-")
        cost = (float(low), float(high)) if high else float(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or LOW-HIGH, e.g. 2 or 0.1-0.5, got {text!r}") from None
    if min(cost if isinstance(cost, tuple) else (cost,)) < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return cost


def _evaluator(args: argparse.Namespace, space: Any) -> Any:
    """Return the evaluator of ``--evaluator``; UserError for unusable settings or data."""
    if args.evaluator == "table":
        from bananas.evaluators import TabularEvaluator

        try:
            return TabularEvaluator(space, simulated_cost=args.simulated_cost)
        except ValueError as err:
            raise UserError(str(err)) from None
    from bananas.data import DataError
    from bananas.training import TrainConfig, TrainingEvaluator

    try:
        config = TrainConfig(
            epochs=args.epochs,
            time_budget=args.time_budget,
            batch_size=args.train_batch_size,
            optimizer=args.optimizer,
            lr=args.lr,
            channels=args.channels,
            n_cells=args.cells,
            device=args.device,
            seed=args.seed,
            inherit_weights=args.inherit_weights,
            inherit_epochs=args.inherit_epochs,
        )
        return TrainingEvaluator(space, args.dataset, args.data_dir, config)
    except (DataError, ValueError, RuntimeError) as err:
        raise UserError(str(err)) from None


def _sampler_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "batch_size": args.batch_size,
        "n_startup_trials": args.n_init,
        "acquisition": args.acquisition,
        "encoding": args.encoding,
        "predictor": args.predictor,
    }


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``bananas`` command."""
    from bananas._version import __version__

    parser = argparse.ArgumentParser(prog="bananas", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bananas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("search", help="run (or continue) a search, recorded as an Optuna study")
    _add_space_args(p)
    p.add_argument("--method", default="bananas", choices=METHODS, help="search method (default: bananas)")
    p.add_argument("--budget", type=_positive_int, default=150, help="completed evaluations to reach (default: 150)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default: 0)")
    _add_storage_arg(p)
    p.add_argument("--study-name", help="study name (default: SPACE-DATASET-METHOD-seedSEED)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--warm-start",
        metavar="SOURCE",
        help="prior evaluations: a JSONL log from 'bananas export', or a storage URL (with --warm-start-study). "
        "Same dataset: they are observations; another dataset: the best of them are evaluated first",
    )
    p.add_argument("--warm-start-study", metavar="NAME", help="study name in the --warm-start storage")
    p.add_argument("--skip-malformed", action="store_true", help="skip malformed lines of a --warm-start log")
    p.add_argument(
        "--workers",
        type=_nonneg_int,
        help="run N worker processes on the study (storage: a journal file PATH.log or PostgreSQL); "
        "0 only creates the study. Workers on other machines join with 'bananas worker'",
    )
    _add_bananas_args(p)
    _add_training_args(p)
    _add_worker_args(p)

    p = sub.add_parser(
        "worker",
        help="join a study made by 'bananas search' and evaluate its trials until the budget is reached",
    )
    _add_storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--seed", type=_nonneg_int, help="this worker's sampler seed (default: random)")
    p.add_argument("--data-dir", help="training: folder with the CIFAR files on this machine")
    p.add_argument("--device", default="auto", help="training: auto (CUDA when present), cpu, cuda, cuda:1, ...")
    p.add_argument("--max-failures", type=_nonneg_int, help="stop after this many failed evaluations")
    p.add_argument("--quiet", action="store_true", help="no line per trial")
    _add_worker_args(p)

    p = sub.add_parser("export", help="write a study's evaluations as JSONL (schema: bananas.logs)")
    _add_storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--out", required=True, help="the JSONL file to write")

    p = sub.add_parser("import", help="add the evaluations of a JSONL log to a study (created if missing)")
    _add_storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--log", required=True, help="the JSONL file to read")
    p.add_argument("--skip-malformed", action="store_true", help="import the good lines, report the others")

    p = sub.add_parser("benchmark", help="compare methods over seeds: results.json, results.md, regret.png")
    _add_space_args(p)
    p.add_argument(
        "--methods", default="bananas,random,re,tpe,gp,pool-random", help=f"comma-separated, from {', '.join(METHODS)}"
    )
    p.add_argument("--seeds", type=_positive_int, default=30, help="seeds 0..N-1 per method (default: 30)")
    p.add_argument("--budget", type=_positive_int, default=150, help="queries per run (default: 150)")
    p.add_argument("--out", default="benchmark-out", help="output folder (default: benchmark-out)")
    p.add_argument("--workers", type=_positive_int, default=None, help="parallel processes (default: CPU count)")
    _add_bananas_args(p)

    p = sub.add_parser("predictor-eval", help="Kendall tau / Spearman rho of a predictor + encoding")
    _add_space_args(p)
    from bananas.encodings import DEFAULT_ENCODING, ENCODINGS
    from bananas.predictors import PREDICTORS

    p.add_argument("--encoding", default=DEFAULT_ENCODING, choices=list(ENCODINGS))
    p.add_argument("--predictor", default="mlp", choices=list(PREDICTORS))
    p.add_argument("--n-train", type=_positive_int, default=100, help="training architectures (default: 100)")
    p.add_argument("--n-test", type=_positive_int, default=2000, help="test architectures (default: 2000)")
    p.add_argument("--seeds", type=_positive_int, default=3, help="repetitions (default: 3)")
    return parser


def _open_storage(url: str, heartbeat_interval: int | None = None, grace_period: int | None = None) -> Any:
    """Return the Optuna storage of ``url`` (see ``bananas.storage.open_storage``); UserError (one line,
    password masked) if it cannot be used. A database server that does not answer ends the attempt
    within seconds."""
    from bananas.storage import open_storage

    try:
        return open_storage(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    except Exception as err:  # sqlalchemy/driver errors vary; all mean the URL cannot be used
        raise UserError(_storage_error(url, err)) from None


def _storage_error(url: str, err: Exception) -> str:
    from sqlalchemy.engine import make_url

    reason = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
    if isinstance(err, ImportError):
        reason = f"no database driver ({err.__cause__ or err}); pip install 'bananas[postgres]' for PostgreSQL"
    try:
        parsed = make_url(url)
        where = f" (server {parsed.host}:{parsed.port or 'default port'})" if parsed.host else ""
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
    except Exception:  # not a database URL at all: the reason says so
        where = ""
    return (
        f"cannot open storage {mask(url)!r}{where}: {reason}. "
        "Give an Optuna storage URL, e.g. sqlite:///bananas.db or postgresql://user@host:5432/db, "
        "or a journal file PATH.log"
    )


def cmd_search(args: argparse.Namespace) -> None:
    import optuna
    from optuna.trial import TrialState
    from tqdm.auto import tqdm

    from bananas.search import StudyMismatch, n_complete, prepare_study, run_search
    from bananas.warmstart import load_warm_start

    # Failed evaluations are FAIL trials with a fail_reason; Optuna's per-trial warnings
    # (with a traceback on Ctrl-C) would only bury the progress bar.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    training = args.evaluator == "train"
    space = _space(args, training)
    evaluator = _evaluator(args, space)
    storage = _open_storage(args.storage)
    study_name = args.study_name or f"{args.space}-{args.dataset}-{args.method}-seed{args.seed}"
    options = _sampler_options(args) if args.method in ("bananas", "pool-random") else {}
    bar = None

    def progress(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        nonlocal bar
        complete = trial.state == TrialState.COMPLETE
        if bar is None:  # the first finished trial of this run: count what the study already holds
            initial = n_complete(study) - complete
            bar = tqdm(
                total=args.budget,
                initial=initial,
                desc=f"{args.method} {args.dataset}",
                unit="eval",
                disable=args.quiet,
            )
        bar.update(complete)
        if bar.n:
            bar.set_postfix(best_valid=f"{study.best_value:.2f}")
        if training and not args.quiet:
            bar.write(_evaluation_line(trial, bar.n, args.budget))

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
        "sampler_options": options,
        "warm_start": warm_start,
        "pruner": "median" if args.prune else None,
    }
    from bananas.workers import stop_on_signals

    stop_on_signals()  # Ctrl-C or SIGTERM: the running trial fails and is evaluated again on resume
    try:
        if args.workers is not None:
            _search_with_workers(args, space, prepare_study(space, evaluator, **study_options))
            return
        study = run_search(space, evaluator, callbacks=[progress], **study_options)
    except (StudyMismatch, ValueError) as err:
        raise UserError(str(err)) from None
    except BaseException as err:
        if not _interrupted(err):
            raise
        print(
            f"\nstopped; completed trials are kept in {mask(args.storage)} (study {study_name!r}). "
            "Run the same command again to continue.",
            file=sys.stderr,
        )
        raise SystemExit(130) from None
    finally:
        if bar is not None:
            bar.close()
    _print_summary(study, space, mask(args.storage))


def _search_with_workers(args: argparse.Namespace, space: Any, study: Any) -> None:
    """Run ``--workers`` worker processes on the (new or reopened) study to its budget."""
    import signal
    import subprocess
    import time

    from tqdm.auto import tqdm

    from bananas.search import n_complete
    from bananas.storage import Retrying
    from bananas.workers import spawn_workers

    study_name = study.study_name
    if args.workers == 0:
        print(
            f"study {study_name!r} is ready in {mask(args.storage)}; start workers with: "
            f"bananas worker --study-name {study_name} (storage from --storage or $BANANAS_STORAGE)"
        )
        return
    flags = ["--quiet"]
    for flag in ("heartbeat_interval", "grace_period", "db_timeout", "data_dir", "device"):
        if getattr(args, flag) is not None:
            flags += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    procs = spawn_workers(args.storage, study_name, args.workers, args.seed, flags)
    bar = tqdm(total=args.budget, desc=f"{args.method} {args.dataset} ×{args.workers}", unit="eval", disable=args.quiet)
    retry = Retrying(args.db_timeout)  # the workers ride out a database restart; so does the progress bar
    try:
        while any(p.poll() is None for p in procs):
            bar.update(retry(n_complete, study) - bar.n)
            time.sleep(0.5)
    except BaseException:  # Ctrl-C (cmd_search says how to continue) or an error
        for p in procs:  # each hands its trial back to the study and exits
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()  # its trial is retried through the heartbeat
        raise
    finally:
        bar.close()
    failed = [f"worker {i} exited with code {p.returncode}" for i, p in enumerate(procs) if p.returncode]
    if retry(n_complete, study) < args.budget:
        raise UserError(
            f"{'; '.join(failed) or 'the workers stopped'} before the budget was reached; "
            "run the same command again to continue"
        )
    if failed:
        print(f"note: {'; '.join(failed)}; other workers took over its trials", file=sys.stderr)
    _print_summary(study, space, mask(args.storage))


def cmd_worker(args: argparse.Namespace) -> None:
    import optuna

    from bananas.workers import run_worker, stop_on_signals, worker_name

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = _open_storage(args.storage, args.heartbeat_interval, args.grace_period)
    me = worker_name()
    stop_on_signals()

    def line(study: Any, trial: Any) -> None:
        if not args.quiet:
            done = sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
            print(f"{me} {_evaluation_line(trial, done, study.user_attrs['bananas']['budget'])}", flush=True)

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
        if not _interrupted(err):
            raise
        print(f"\nworker {me} stopped; its trial was handed back to the study", file=sys.stderr)
        raise SystemExit(130) from None
    if not args.quiet:
        print(
            f"worker {me} done: {report.completed} completed, {report.failed} failed, {report.skipped} skipped, "
            f"{report.retried} trials of dead workers retried"
        )


def _evaluation_line(trial: Any, done: int, budget: int) -> str:
    """One line per finished evaluation: its architecture and metrics, or why it failed."""
    a = trial.user_attrs
    head = f"[{done}/{budget}] trial {trial.number} {a.get('arch', '?')}"
    if trial.state.name != "COMPLETE":
        return f"{head}  {trial.state.name}: {a.get('fail_reason', '')}".rstrip(": ")
    if "train_seconds" not in a:  # a table lookup
        return f"{head}  valid {a['valid_acc']:.2f}%  test {a['test_acc']:.2f}%"
    inherited = "  inherited" if "inherited_from" in a else ""
    return (
        f"{head}  valid {a['valid_acc']:.2f}%  test {a['test_acc']:.2f}%  {a['params_m']:.3f} M params  "
        f"{a['flops_m']:.1f} MFLOPs  {a['epochs']} epochs in {a['train_seconds']:.1f} s{inherited}"
    )


def _interrupted(err: BaseException | None) -> bool:
    """Whether ``err`` is Ctrl-C or was raised while handling it (Optuna 5.0's ``_run_trial`` turns a
    Ctrl-C during its ``tell`` into an ``UnboundLocalError``, and a failed ``tell`` of the stopped trial
    into an ``AssertionError``): any error after SIGINT/SIGTERM (``stop_on_signals``) counts."""
    from bananas.workers import STOP_REQUESTED

    while err is not None:
        if isinstance(err, KeyboardInterrupt):
            return True
        err = err.__context__
    return STOP_REQUESTED.is_set()


def _print_summary(study: Any, space: Any, storage_url: str) -> None:
    from optuna.trial import TrialState

    from bananas.search import n_complete
    from bananas.spaces import TabularSpace

    best = study.best_trial
    attrs = best.user_attrs
    own = n_complete(study)
    warm = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) - own
    print(
        f"study      {study.study_name!r} in {storage_url}: {own} completed trials"
        + (f" (+{warm} from the warm start)" if warm else "")
    )
    print(f"best arch  {attrs['arch']} (trial {best.number})")
    if not isinstance(space, TabularSpace):
        print(f"valid acc  {attrs['valid_acc']:.2f}%   test acc {attrs['test_acc']:.2f}%")
        print(f"dashboard  optuna-dashboard {storage_url}   (pip install optuna-dashboard)")
        return
    table = space.best()
    print(
        f"valid acc  {attrs['valid_acc']:.2f}%  (regret {table['valid_acc'] - attrs['valid_acc']:.2f} pp "
        f"to the table's best {table['valid_acc']:.2f}%)"
    )
    print(
        f"test acc   {attrs['test_acc']:.2f}%  (regret {table['test_acc'] - attrs['test_acc']:.2f} pp "
        f"to the table's best {table['test_acc']:.2f}%)"
    )
    print(f"dashboard  optuna-dashboard {storage_url}   (pip install optuna-dashboard)")


def cmd_benchmark(args: argparse.Namespace) -> None:
    from bananas.benchmark import run_benchmark

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise UserError(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    _space(args)  # a bad space, dataset or table stops here with one line
    run_benchmark(
        args.space,
        args.dataset,
        methods,
        seeds=range(args.seeds),
        budget=args.budget,
        out_dir=args.out,
        workers=args.workers,
        sampler_options=_sampler_options(args),
        table=args.table,
    )


def cmd_predictor_eval(args: argparse.Namespace) -> None:
    import numpy as np

    from bananas.predictor_eval import predictor_eval

    space = _space(args)
    rows = [
        predictor_eval(
            space, encoding=args.encoding, predictor=args.predictor, n_train=args.n_train, n_test=args.n_test, seed=s
        )
        for s in range(args.seeds)
    ]
    for key in ("kendall_tau", "spearman_rho"):
        vals = np.array([r[key] for r in rows])
        print(
            f"{key:13s} {vals.mean():.3f} ± {vals.std(ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else 0:.3f}"
            f"  ({args.predictor} + {args.encoding}, {args.n_train} train, {args.n_test} test, "
            f"{args.dataset}, {len(vals)} seeds)"
        )


def _load_bananas_study(storage_url: str, study_name: str) -> tuple[Any, Any]:
    """Return (study, space) of an existing bananas study; UserError otherwise."""
    import optuna

    from bananas.search import CONFIG_ATTR
    from bananas.spaces import get_space

    try:
        study = optuna.load_study(storage=_open_storage(storage_url), study_name=study_name)
    except KeyError:
        raise UserError(f"no study {study_name!r} in {mask(storage_url)}") from None
    if CONFIG_ATTR not in study.user_attrs:
        raise UserError(f"study {study_name!r} was not made by bananas")
    return study, get_space(study.user_attrs["space"], study.user_attrs["dataset"])


def cmd_export(args: argparse.Namespace) -> None:
    from bananas.logs import export_study

    study, space = _load_bananas_study(args.storage, args.study_name)
    n = export_study(study, space, args.out)
    print(f"wrote {n} evaluations of study {args.study_name!r} to {args.out}")


def cmd_import(args: argparse.Namespace) -> None:
    import optuna

    from bananas.logs import LogError, read_log, records_space, records_to_trials
    from bananas.search import open_study
    from bananas.spaces import get_space

    try:
        records = read_log(args.log, skip_malformed=args.skip_malformed)
    except (OSError, LogError) as err:
        raise UserError(str(err)) from None
    try:
        space = get_space(*records_space(records, args.log))
    except ValueError as err:
        raise UserError(str(err)) from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    config = {**space.describe(), "method": "import", "seed": None}
    try:
        study = open_study(_open_storage(args.storage), args.study_name, config)
        study.add_trials(records_to_trials(records, space))
    except ValueError as err:
        raise UserError(str(err)) from None
    print(f"imported {len(records)} evaluations into study {args.study_name!r} in {mask(args.storage)}")


COMMANDS = {
    "search": cmd_search,
    "worker": cmd_worker,
    "export": cmd_export,
    "import": cmd_import,
    "benchmark": cmd_benchmark,
    "predictor-eval": cmd_predictor_eval,
}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``bananas`` command."""
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except UserError as err:
        print(f"bananas: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
