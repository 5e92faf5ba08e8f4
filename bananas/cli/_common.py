"""What the commands share: the one-line user error and opening storages and studies for them."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A mistake in the command line or its inputs: printed as one line, no traceback."""


def open_storage(url: str, heartbeat_interval: int | None = None, grace_period: int | None = None) -> Any:
    """Return the Optuna storage of ``url`` (``bananas.storage.open_storage``); UserError if it cannot be used."""
    from bananas.storage import StorageError
    from bananas.storage import open_storage as _open_storage

    try:
        return _open_storage(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    except StorageError as err:
        raise UserError(str(err)) from None


def load_bananas_study(storage_url: str, study_name: str) -> tuple[Any, Any]:
    """Return (study, space) of an existing bananas study; UserError otherwise."""
    import optuna

    from bananas.spaces import get_space
    from bananas.storage import mask
    from bananas.trials import CONFIG

    try:
        study = optuna.load_study(storage=open_storage(storage_url), study_name=study_name)
    except KeyError:
        raise UserError(f"no study {study_name!r} in {mask(storage_url)}") from None
    if CONFIG not in study.user_attrs:
        raise UserError(f"study {study_name!r} was not made by bananas")
    return study, get_space(study.user_attrs["space"], study.user_attrs["dataset"])


def quiet_optuna() -> None:
    """Silence Optuna's per-trial log: failed evaluations are FAIL trials with a fail_reason, and its
    warnings (with a traceback on Ctrl-C) would only bury the progress bar."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
