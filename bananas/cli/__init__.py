"""The ``bananas`` command: search, worker, export, import, benchmark, predictor-eval.

Each command lives in a small module that parses, calls the library and prints.
Heavy modules (torch, botorch, optuna) are imported inside the commands so
that ``bananas --help`` answers at once.
"""

from __future__ import annotations

import os
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
    except BrokenPipeError:  # the reader stopped reading (``| head``): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
    except Exception as err:
        mistake = err if isinstance(err, UserError) else _storage_refused(err, getattr(args, "storage", ""))
        if mistake is None:
            raise
        print(f"bananas: error: {mistake}", file=sys.stderr)
        raise SystemExit(2) from None


def _storage_refused(err: Exception, url: str) -> UserError | None:
    """A UserError for a storage that refused to write (a read-only or full file), None for other errors."""
    from optuna.exceptions import StorageInternalError

    from bananas.storage import mask, scrub

    if not isinstance(err, StorageInternalError):
        return None
    cause = str(err.__cause__ or err).strip().splitlines()[0]
    return UserError(
        scrub(
            f"storage {mask(url)!r} refused a write ({cause}); check that its file or database is writable "
            "and has room, then run the same command again",
            url,
        )
    )
