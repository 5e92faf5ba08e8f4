"""Which process does the work: ``host:pid`` names, and whether such a process still runs."""

from __future__ import annotations

import os
import socket


def process_name() -> str:
    """Return ``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_gone(name: str) -> bool:
    """Whether ``name`` (``host:pid``) is a process of this host that no longer exists (False when
    it runs, or when it is on another host and cannot be checked)."""
    host, _, pid = name.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
