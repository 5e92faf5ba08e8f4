"""``bananas export`` and ``bananas import``: a study's evaluations as JSONL, and back."""

from __future__ import annotations

import argparse

from bananas.cli._common import UserError, load_bananas_study, open_storage, quiet_optuna


def cmd_export(args: argparse.Namespace) -> None:
    from bananas.exchange import export_study

    study, space = load_bananas_study(args.storage, args.study_name)
    try:
        n = export_study(study, space, args.out)
    except OSError as err:  # a missing folder, a full disk: the old file is left whole
        raise UserError(str(err)) from None
    print(f"wrote {n} evaluations of study {args.study_name!r} to {args.out}")


def cmd_import(args: argparse.Namespace) -> None:
    from bananas.exchange import import_log
    from bananas.storage import mask

    quiet_optuna()
    try:
        added, held = import_log(
            open_storage(args.storage), args.study_name, args.log, skip_malformed=args.skip_malformed
        )
    except (OSError, ValueError) as err:  # LogError and a study of another search included
        raise UserError(str(err)) from None
    already = f" ({held} already in the study, left out)" if held else ""
    print(f"imported {added} evaluations into study {args.study_name!r} in {mask(args.storage)}{already}")
