"""CPU seconds (user + system) of a process and all its descendants, read from /proc (Linux).

Each process of the tree counts its own utime + stime and the cutime + cstime of the children it
has already reaped, so a worker that exited and was replaced during the window still counts.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields after the command name of /proc/<pid>/stat (state is [0], ppid [1]), or None
    when the process is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def descendants(root: int) -> list[int]:
    """The root and every process below it, alive now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def tree_cpu_seconds(root: int) -> float:
    """utime + stime + cutime + cstime over the tree (fields 14-17 of proc(5))."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in descendants(root):
        fields = _stat(pid)
        if fields:
            total += sum(int(v) for v in fields[11:15])
    return total / ticks


def check_pid(pid: int) -> int:
    """The pid, when /proc shows such a process; ValueError otherwise."""
    if _stat(pid) is None:
        raise ValueError(f"no process {pid} in /proc (--server-pid needs Linux and a running server)")
    return pid
