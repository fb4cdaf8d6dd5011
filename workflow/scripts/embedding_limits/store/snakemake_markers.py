"""Snakemake's own record of outputs being written: the one place that reads it.

While a job runs, Snakemake marks each of its outputs incomplete under
``.snakemake/incomplete/``, and unmarks them when the job reports back. A
marker is named by the output's path, urlsafe-base64-encoded and, where that
is longer than a file name may be, cut into folders whose names start with
``@`` (Snakemake's ``FilePersistence._record_path``). This format is
Snakemake's, not ours: ``tests/store/test_snakemake_markers.py`` makes real
markers with the pinned Snakemake and fails if it changes.
"""

from __future__ import annotations

import base64
import binascii
import os

FOLDER = os.path.join(".snakemake", "incomplete")


def marked_incomplete(workdir: str = ".") -> list[str]:
    """The outputs Snakemake marked as being written under ``workdir`` by a job
    that has not reported back (e.g. one that outlived a Snakemake killed with
    -9), as the paths the rules name."""
    root = os.path.join(workdir, FOLDER)
    found = []
    for folder, _, names in os.walk(root):
        parts = os.path.relpath(folder, root).split(os.sep)
        parts = [p.lstrip("@") for p in parts if p != "."]
        for name in names:
            try:
                found.append(base64.urlsafe_b64decode("".join([*parts, name])).decode())
            except (binascii.Error, UnicodeDecodeError):
                continue  # not a marker (migration_underway)
    return sorted(found)
