"""The ``bananas`` command line: subcommands and their flags. Every choice and default comes from the library."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bananas._version import __version__
from bananas.cli._types import (
    constraint,
    nonneg_int,
    objectives,
    positive_float,
    positive_int,
    simulated_cost,
    space_name,
)


def _storage_arg(p: argparse.ArgumentParser) -> None:
    from bananas.storage import DEFAULT_STORAGE

    p.add_argument(
        "--storage",
        default=os.environ.get("BANANAS_STORAGE", DEFAULT_STORAGE),
        help=f"Optuna storage URL or journal file PATH.log (default: $BANANAS_STORAGE, else {DEFAULT_STORAGE}). "
        "SQLite: one process; a journal file: workers on one machine; postgresql://user@host:5432/db: workers "
        "on many machines, the password from the URL, $BANANAS_STORAGE or libpq's $PGPASSWORD / ~/.pgpass. "
        "Passwords are never printed",
    )


def _objective_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--objectives",
        type=objectives,
        default=["valid_acc"],
        metavar="METRICS",
        help="what to optimize, comma-separated: valid_acc (default) and costs to minimize, e.g. "
        "valid_acc,latency or valid_acc,params (params_m) or valid_acc,flops (flops_m): the Pareto front",
    )
    p.add_argument(
        "--constraint",
        type=constraint,
        action="append",
        default=[],
        metavar="METRIC<=BOUND",
        help="a limit on a recorded metric, e.g. params_m<=0.5 (repeat for several): the best feasible "
        "architectures; infeasible trials are marked in the dashboard",
    )


def _space_args(p: argparse.ArgumentParser) -> None:
    from bananas.datasets import DATASETS as TRAINING_DATASETS
    from bananas.evaluators import TRAINING_DATASET
    from bananas.spaces import DEFAULT_DATASETS, DEFAULT_SPACE, SPACES
    from bananas.spaces.nb201_table import TABLES
    from bananas.spaces.nbgraph import DATASETS as NBGRAPH_DATASETS

    def listed(names: Any, default: str) -> str:
        return ", ".join(f"{n} (default)" if n == default else n for n in names)

    space_help = (
        f"search space: {listed(SPACES, DEFAULT_SPACE)}, or PATH.py:NAME, a Space your own Python file declares "
        "(see docs/own-space.md)"
    )
    p.add_argument("--space", default=DEFAULT_SPACE, type=space_name, help=space_help)
    p.add_argument(
        "--dataset",
        help=f"nbgraph: {listed(NBGRAPH_DATASETS, DEFAULT_DATASETS['nbgraph'])}; "
        f"nb201 tables: {listed(TABLES, DEFAULT_DATASETS['nb201'])} or any with --table; "
        f"training (nb201, nb101 ({DEFAULT_DATASETS['nb101']}), your own): "
        f"{listed(TRAINING_DATASETS, TRAINING_DATASET)}",
    )
    p.add_argument(
        "--table",
        metavar="PATH.csv",
        help="nb201: a results table (columns: arch str, validation accuracy, test accuracy), not the shipped one",
    )


def _bananas_args(p: argparse.ArgumentParser) -> None:
    from bananas.acquisition import ACQUISITIONS, DEFAULT_ACQUISITION
    from bananas.encodings import DEFAULT_ENCODING, ENCODINGS
    from bananas.pareto import DEFAULT_MO_ACQUISITION, MULTI_OBJECTIVE
    from bananas.predictors import DEFAULT_PREDICTOR, PREDICTORS

    g = p.add_argument_group("BANANAS options")
    g.add_argument("--batch-size", type=positive_int, help="picks per fit (10; 5 if multi-objective/constrained)")
    g.add_argument("--n-init", type=positive_int, default=10, help="random architectures first (default: 10)")
    g.add_argument(
        "--acquisition",
        default=DEFAULT_ACQUISITION,
        choices=[a for a in ACQUISITIONS if a != "random"],  # "random" is the pool-random method
        help=f"acquisition function (default: {DEFAULT_ACQUISITION})",
    )
    g.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        choices=list(ENCODINGS),
        help=f"architecture encoding (default: {DEFAULT_ENCODING})",
    )
    g.add_argument(
        "--predictor",
        default=DEFAULT_PREDICTOR,
        choices=list(PREDICTORS),
        help=f"accuracy predictor (default: {DEFAULT_PREDICTOR})",
    )
    g.add_argument(
        "--mo-acquisition",
        choices=list(MULTI_OBJECTIVE),
        help="with several --objectives: nehvi (BoTorch's qLogNEHVI) or parego (qLogNParEGO, a random "
        f"Chebyshev scalarization per pick) (default: {DEFAULT_MO_ACQUISITION})",
    )
    g.add_argument(
        "--whole-space",
        action="store_true",
        help="candidates: every untried architecture of the table (nbgraph, nb201; one objective) instead of "
        "mutations of the best plus 200 random",
    )


def _oneshot_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("supernet (--method darts, cdarts or random-ws; --fidelity)")
    g.add_argument(
        "--fidelity",
        choices=["supernet", "params"],
        help="BANANAS (--evaluator train, --space nb201): a cheap score of every architecture, used as far as "
        "the evaluations agree with it: supernet (a weight-sharing supernet trained once: inherited-weights "
        "validation loss) or params (the network's parameter count, free)",
    )
    g.add_argument("--supernet-epochs", type=positive_int, help="epochs of supernet training (default: 10)")


def _training_args(p: argparse.ArgumentParser) -> None:
    from bananas.evaluators import EVALUATORS
    from bananas.training import OPTIMIZERS

    g = p.add_argument_group("training (--evaluator train; --space nb201, nb101 or PATH.py:NAME)")
    g.add_argument(
        "--evaluator",
        default="table",
        choices=EVALUATORS,
        help="look architectures up in the space's table (default) or train them with PyTorch",
    )
    g.add_argument(
        "--data-dir",
        help="folder with cifar-10-batches-py / cifar-100-python, or the Fashion-MNIST idx files "
        "(default: /usr/share/datasets/fashion-mnist; digits needs none)",
    )
    g.add_argument("--epochs", type=positive_int, default=10, help="epochs per evaluation (default: 10)")
    g.add_argument("--time-budget", type=positive_float, help="seconds of training per evaluation, at most")
    g.add_argument("--train-batch-size", type=positive_int, default=32, help="images per step (default: 32)")
    g.add_argument("--train-subset", type=positive_int, help="train on this many images of the training split")
    g.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS, help="with cosine decay (default: sgd)")
    g.add_argument("--lr", type=positive_float, help="learning rate (default: 0.05 for sgd, 0.003 for adamw)")
    g.add_argument("--channels", type=positive_int, default=8, help="C: stages have C, 2C, 4C channels (default: 8)")
    g.add_argument("--cells", type=positive_int, default=1, help="N: cells per stage (default: 1)")
    g.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1, ...")
    g.add_argument(
        "--inherit-weights",
        action="store_true",
        help="a candidate one edge op from an evaluated one starts from its weights",
    )
    g.add_argument("--inherit-epochs", type=positive_int, help="epochs of an inheriting candidate (default: half)")
    g.add_argument("--prune", action="store_true", help="stop poor trainings early (Optuna's MedianPruner)")
    p.add_argument(
        "--simulated-cost",
        type=simulated_cost,
        metavar="SECONDS",
        help="table lookups sleep SECONDS (or a random LOW-HIGH), to rehearse runs with several workers",
    )


def _worker_args(p: argparse.ArgumentParser) -> None:
    from bananas.storage import DB_TIMEOUT, GRACE_PERIOD, HEARTBEAT_INTERVAL

    g = p.add_argument_group("workers (several processes on one study)")
    g.add_argument(
        "--heartbeat-interval",
        type=positive_int,
        default=HEARTBEAT_INTERVAL,
        help=f"seconds between a running trial's heartbeats (default: {HEARTBEAT_INTERVAL})",
    )
    g.add_argument(
        "--grace-period",
        type=positive_int,
        default=GRACE_PERIOD,
        help=f"seconds without a heartbeat before a trial is retried by another worker (default: {GRACE_PERIOD})",
    )
    g.add_argument(
        "--db-timeout",
        type=positive_float,
        default=DB_TIMEOUT,
        help=f"seconds to keep retrying a database that stopped answering (default: {DB_TIMEOUT:.0f})",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``bananas`` command."""
    from bananas.encodings import DEFAULT_ENCODING, ENCODINGS
    from bananas.methods import DEFAULT_METHOD, METHODS, TABLE_METHODS
    from bananas.predictors import DEFAULT_PREDICTOR, PREDICTORS

    parser = argparse.ArgumentParser(
        prog="bananas", description="BANANAS neural architecture search, recorded as Optuna studies."
    )
    parser.add_argument("--version", action="version", version=f"bananas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("search", help="run (or continue) a search, recorded as an Optuna study")
    _space_args(p)
    p.add_argument("--method", default=DEFAULT_METHOD, choices=list(METHODS), help="search method (default: bananas)")
    p.add_argument("--budget", type=positive_int, default=150, help="completed evaluations to reach (default: 150)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="random seed (default: 0)")
    _storage_arg(p)
    p.add_argument("--study-name", help="study name (default: SPACE-DATASET-METHOD-seedSEED)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _objective_args(p)
    p.add_argument(
        "--warm-start",
        metavar="SOURCE",
        help="prior evaluations: a JSONL log from 'bananas export', or a storage URL (with --warm-start-study). "
        "Same dataset: they are observations; another dataset: a prior that BANANAS uses as far as this "
        "search's evaluations agree with it",
    )
    p.add_argument("--warm-start-study", metavar="NAME", help="study name in the --warm-start storage")
    p.add_argument("--skip-malformed", action="store_true", help="skip malformed lines of a --warm-start log")
    p.add_argument(
        "--workers",
        type=nonneg_int,
        help="run N worker processes on the study (storage: a journal file PATH.log or PostgreSQL); "
        "0 only creates the study. Workers on other machines join with 'bananas worker'",
    )
    _bananas_args(p)
    _oneshot_args(p)
    _training_args(p)
    _worker_args(p)

    p = sub.add_parser(
        "worker",
        help="join a study made by 'bananas search' and evaluate its trials until the budget is reached",
    )
    _storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--seed", type=nonneg_int, help="this worker's sampler seed (default: random)")
    p.add_argument("--data-dir", help="training: folder with the CIFAR files on this machine")
    p.add_argument("--device", default="auto", help="training: auto (CUDA when present), cpu, cuda, cuda:1, ...")
    p.add_argument("--max-failures", type=nonneg_int, help="stop after this many failed evaluations")
    p.add_argument("--quiet", action="store_true", help="no line per trial")
    _worker_args(p)

    p = sub.add_parser("export", help="write a study's evaluations as JSONL (schema: bananas.exchange)")
    _storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--out", required=True, help="the JSONL file to write")

    p = sub.add_parser("import", help="add the evaluations of a JSONL log to a study (created if missing)")
    _storage_arg(p)
    p.add_argument("--study-name", required=True)
    p.add_argument("--log", required=True, help="the JSONL file to read")
    p.add_argument("--skip-malformed", action="store_true", help="import the good lines, report the others")

    p = sub.add_parser("benchmark", help="compare methods over seeds: results.json, results.md, regret.png")
    _space_args(p)
    p.add_argument(
        "--methods", default=",".join(TABLE_METHODS), help=f"comma-separated, from {', '.join(TABLE_METHODS)}"
    )
    p.add_argument("--seeds", type=positive_int, default=30, help="seeds 0..N-1 per method (default: 30)")
    p.add_argument("--budget", type=positive_int, default=150, help="queries per run (default: 150)")
    p.add_argument("--out", default="benchmark-out", help="output folder (default: benchmark-out)")
    p.add_argument("--workers", type=positive_int, default=None, help="parallel processes (default: CPU count)")
    _objective_args(p)
    _bananas_args(p)

    p = sub.add_parser("predictor-eval", help="Kendall tau / Spearman rho of a predictor + encoding")
    _space_args(p)
    p.add_argument("--encoding", default=DEFAULT_ENCODING, choices=list(ENCODINGS))
    p.add_argument("--predictor", default=DEFAULT_PREDICTOR, choices=list(PREDICTORS))
    p.add_argument("--n-train", type=positive_int, default=100, help="training architectures (default: 100)")
    p.add_argument("--n-test", type=positive_int, default=2000, help="test architectures (default: 2000)")
    p.add_argument("--seeds", type=positive_int, default=3, help="repetitions (default: 3)")
    return parser


def sampler_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the sampler options from the BANANAS flags (and the supernet's, where given)."""
    options = {
        "batch_size": args.batch_size,
        "n_startup_trials": args.n_init,
        "acquisition": args.acquisition,
        "encoding": args.encoding,
        "predictor": args.predictor,
        **({"whole_space": True} if args.whole_space else {}),
        **({"mo_acquisition": args.mo_acquisition} if args.mo_acquisition else {}),
    }
    supernet = {"fidelity": getattr(args, "fidelity", None), "supernet_epochs": getattr(args, "supernet_epochs", None)}
    return options | {k: v for k, v in supernet.items() if v is not None}
