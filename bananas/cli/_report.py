"""What the commands print: the summary of a search, one line per evaluation, benchmarks and predictor ranks."""

from __future__ import annotations

import argparse
from typing import Any

from bananas.cli._common import UserError
from bananas.cli._parser import sampler_options


def evaluation_line(trial: Any, done: int, budget: int) -> str:
    """One line per finished evaluation: its architecture and metrics, or why it failed."""
    from bananas.trials import ARCH, FAIL_REASON

    a = trial.user_attrs
    head = f"[{done}/{budget}] trial {trial.number} {a.get(ARCH, '?')}"
    if trial.state.name != "COMPLETE":
        return f"{head}  {trial.state.name}: {a.get(FAIL_REASON, '')}".rstrip(": ")
    if "train_seconds" not in a:  # a table lookup
        return f"{head}  valid {a['valid_acc']:.2f}%  test {a['test_acc']:.2f}%"
    inherited = "  inherited" if "inherited_from" in a else ""
    return (
        f"{head}  valid {a['valid_acc']:.2f}%  test {a['test_acc']:.2f}%  {a['params_m']:.3f} M params  "
        f"{a['flops_m']:.1f} MFLOPs  {a['epochs']} epochs in {a['train_seconds']:.1f} s{inherited}"
    )


def progress_note(study: Any) -> str:
    """The progress bar's note: the best validation accuracy (of feasible trials), or the Pareto set's size."""
    try:
        if study._is_multi_objective():
            return f"pareto={len(study.best_trials)}"
        return f"best_valid={study.best_value:.2f}"
    except ValueError:  # nothing feasible yet
        return "feasible=0"


def print_summary(study: Any, space: Any, storage_url: str) -> None:
    """Print where the study is, then its best architecture and (on a table) the regret to the table's
    best; with several objectives its Pareto set, with constraints the best feasible architecture."""
    from optuna.trial import TrialState

    from bananas.trials import CONFIG, n_complete

    config = study.user_attrs.get(CONFIG, {})
    constraints = config.get("constraints", [])
    own = n_complete(study)
    warm = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) - own
    print(
        f"study      {study.study_name!r} in {storage_url}: {own} completed trials"
        + (f" (+{warm} from the warm start)" if warm else "")
    )
    if constraints:
        print(f"constraints {', '.join(constraints)}")
    if transfer := config.get("sampler_options", {}).get("transfer"):
        _print_transfer(study, len(transfer))
    if study._is_multi_objective():
        _print_pareto_set(study)
    best = _best_feasible(study)
    if best is None:
        print("best arch  none is feasible yet: loosen --constraint or raise --budget")
    else:
        _print_best(best, space, constrained=bool(constraints))
    print(f"dashboard  optuna-dashboard {storage_url}   (pip install optuna-dashboard)")


def _print_transfer(study: Any, n_prior: int) -> None:
    """How much the transfer prior was used: the weight of its column at the last fit (0: not used)."""
    from bananas.trials import n_complete

    weights = [t.user_attrs["prior_weight"] for t in study.get_trials(deepcopy=False) if "prior_weight" in t.user_attrs]
    used = sum(w > 0 for w in weights)
    last = f"{weights[-1]:.2f}" if weights else "none yet"
    print(
        f"transfer   {n_prior} prior evaluations of another dataset: used in {used} of {n_complete(study)} "
        f"proposals; weight at the last fit {last} (0: no agreement beyond chance)"
    )


def _best_feasible(study: Any) -> Any:
    """The trial with the best validation accuracy among those that meet every constraint (or None)."""
    from optuna.trial import TrialState

    from bananas.objectives import feasible

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    ok = [t for t in done if feasible(list(t.constraints.values()))]
    return max(ok, key=lambda t: t.user_attrs.get("valid_acc", t.values[0]), default=None)


def _print_pareto_set(study: Any) -> None:
    """The Pareto set (of feasible trials): trial, each objective, architecture; best accuracy first."""
    from bananas.objectives import direction
    from bananas.trials import ARCH

    names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
    front = sorted(study.best_trials, key=lambda t: -t.values[0])
    arrows = {"maximize": "up", "minimize": "down"}
    print(f"pareto set {len(front)} architectures ({', '.join(f'{n} {arrows[direction(n)]}' for n in names)}):")
    print("  trial  " + "  ".join(f"{n:>10s}" for n in names) + "  arch")
    for t in front:
        print(f"  {t.number:5d}  " + "  ".join(f"{v:10.4g}" for v in t.values) + f"  {t.user_attrs.get(ARCH, '?')}")


def _print_best(best: Any, space: Any, constrained: bool) -> None:
    """The best (feasible) trial's architecture and accuracies; on a table without constraints, the regret
    to the table's best."""
    from bananas.spaces import TabularSpace
    from bananas.trials import ARCH

    attrs = best.user_attrs
    print(f"{'best feasible' if constrained else 'best arch '} {attrs[ARCH]} (trial {best.number})")
    if not isinstance(space, TabularSpace) or constrained:
        print(f"valid acc  {attrs['valid_acc']:.2f}%   test acc {attrs['test_acc']:.2f}%")
        return
    table = space.best()
    for name, title in (("valid_acc", "valid acc "), ("test_acc", "test acc  ")):
        print(
            f"{title} {attrs[name]:.2f}%  (regret {table[name] - attrs[name]:.2f} pp "
            f"to the table's best {table[name]:.2f}%)"
        )


def _tabular_space(args: argparse.Namespace) -> Any:
    from bananas.evaluators import evaluation_space

    try:
        space = evaluation_space("table", args.space, args.dataset, args.table)
    except ValueError as err:
        raise UserError(str(err)) from None
    args.dataset = space.dataset
    return space


def cmd_benchmark(args: argparse.Namespace) -> None:
    from bananas.benchmark import run_benchmark
    from bananas.methods import TABLE_METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in TABLE_METHODS]
    if unknown or not methods:
        named = f"unknown methods {unknown}" if unknown else f"no methods in --methods {args.methods!r}"
        raise UserError(f"{named}; choose from {', '.join(TABLE_METHODS)}, comma-separated (benchmarks look up tables)")
    _tabular_space(args)  # a bad space, dataset or table stops here with one line
    try:
        run_benchmark(
            args.space,
            args.dataset,
            methods,
            seeds=range(args.seeds),
            budget=args.budget,
            out_dir=args.out,
            workers=args.workers,
            sampler_options=sampler_options(args),
            table=args.table,
            objectives=args.objectives,
            constraints=args.constraint,
        )
    except ValueError as err:  # an --out that is a file; runs that fail are reported by run_benchmark
        raise UserError(str(err)) from None


def cmd_predictor_eval(args: argparse.Namespace) -> None:
    from bananas.predictor_eval import predictor_eval, summarize

    space = _tabular_space(args)
    try:
        rows = [
            predictor_eval(
                space,
                encoding=args.encoding,
                predictor=args.predictor,
                n_train=args.n_train,
                n_test=args.n_test,
                seed=s,
            )
            for s in range(args.seeds)
        ]
    except ValueError as err:
        raise UserError(str(err)) from None
    for key, (mean, se) in summarize(rows).items():
        print(
            f"{key:13s} {mean:.3f} ± {se:.3f}  ({args.predictor} + {args.encoding}, {args.n_train} train, "
            f"{args.n_test} test, {args.dataset}, {len(rows)} seeds)"
        )
