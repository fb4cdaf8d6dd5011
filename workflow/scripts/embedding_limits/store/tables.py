"""The workflow's CSV tables, checked whole before a run plans: one cut short
(a copy stopped midway, a `truncate`) would otherwise be taken as made, and
fail every job that reads it. The run names it and makes it again."""

from __future__ import annotations

import csv
import io
import os

from . import paths

TABLES = tuple(
    getattr(paths, name) for name in dir(paths)
    if name.endswith("_TABLE") and getattr(paths, name).endswith(".csv")
)  # fmt: skip


def cut_short(path: str) -> str | None:
    """Why the CSV table at ``path`` is not whole, or None: it must end a line,
    and each row must have as many fields as its header."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        return "not UTF-8 text"
    if not text.endswith("\n"):
        return "its last line is cut short"
    rows = list(csv.reader(io.StringIO(text)))
    for number, row in enumerate(rows[1:], 2):
        if len(row) != len(rows[0]):
            return f"line {number} has {len(row)} fields, its header {len(rows[0])}"
    return None


def remake_broken(tables=TABLES) -> list[str]:
    """Date each table that is not whole to 1970, older than what it is made
    from, so that the run remakes it (and what reads it); a line for each."""
    lines = []
    for path, why in broken(tables):
        os.utime(path, (0, 0))
        lines.append(f"{path}: {why}; this run makes it again")
    return lines


def broken(tables=TABLES) -> list[tuple[str, str]]:
    """(path, why) of each existing table that is not whole."""
    found = []
    for path in tables:
        why = os.path.exists(path) and cut_short(path)
        if why:
            found.append((path, why))
    return found
