"""The ``bananas`` command: search, worker, export, import, benchmark, predictor-eval.

Each command lives in a small module that parses, calls the library and prints.
Heavy modules (torch, botorch, optuna) are imported inside the commands so
that ``bananas --help`` answers at once.
"""

from __future__ import annotations

import sys

from bananas.cli._common import UserError
from bananas.cli._exchange import cmd_export, cmd_import
from bananas.cli._parser import build_parser
from bananas.cli._report import cmd_benchmark, cmd_predictor_eval
from bananas.cli._search import cmd_search
from bananas.cli._worker import cmd_worker

COMMANDS = {
    "search": cmd_search,
    "worker": cmd_worker,
    "export": cmd_export,
    "import": cmd_import,
    "benchmark": cmd_benchmark,
    "predictor-eval": cmd_predictor_eval,
}

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``bananas`` command."""
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except UserError as err:
        print(f"bananas: error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
