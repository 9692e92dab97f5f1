"""Which process this is, and whether a process named that way is provably gone.

A long task recorded in the database (an ingest run) names its owner: the host, the boot of
that host, and the process id. Another process can then tell a task whose owner died from
one still running elsewhere. Only an owner on this very host and boot can be proved gone
(its pid is no longer alive); an owner elsewhere is judged by its heartbeat instead.

Hazards: pids are reused, so "alive" may be a different process that took the same pid;
callers treat "alive" as "not provably gone" and fall back on a stale heartbeat. The pid
check uses ``os.kill(pid, 0)`` and is made only on POSIX (on Windows ``os.kill`` ends the
process).
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessOwner", "owner_is_gone", "this_process"]

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True, slots=True)
class ProcessOwner:
    """A process, named well enough to check from the same host whether it still runs."""

    host: str
    boot: str
    pid: int

    def label(self) -> str:
        """``host:pid``, for listings."""
        return f"{self.host}:{self.pid}"


@functools.lru_cache(maxsize=1)
def _boot() -> str:
    """This host's current boot (Linux), else "" (then a pid check proves nothing)."""
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def this_process() -> ProcessOwner:
    """The calling process."""
    return ProcessOwner(socket.gethostname()[:255], _boot(), os.getpid())


def owner_is_gone(owner: ProcessOwner) -> bool:
    """True only when ``owner`` ran on this host in this boot and its pid is not alive."""
    me = this_process()
    if os.name != "posix" or not owner.boot or owner.host != me.host or owner.boot != me.boot:
        return False
    if owner.pid == me.pid:
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    return False
