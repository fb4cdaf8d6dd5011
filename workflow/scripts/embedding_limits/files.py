"""Writing files whole or not at all, readable as the umask allows."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets


@contextlib.contextmanager
def atomic_write(path, binary: bool = False):
    """Write to a temp file beside ``path``, then rename: never half a file.

    The temp file is created with mode 0666 less the umask (644 under 022),
    like any other new file, so colleagues on a shared filesystem can read
    results; ``tempfile.mkstemp`` would make it 600.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    mode, encoding = ("wb", None) if binary else ("w", "utf-8")
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def sha256(path, into=None):
    """The sha256 of a file's bytes (fed into ``into``, a hashlib object, when
    given; that object is returned), read in blocks."""
    total = into or hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            total.update(block)
    return total


def write_table(table, path) -> None:
    """A pandas table as CSV, whole or not at all."""
    with atomic_write(path) as handle:
        table.to_csv(handle, index=False)


def write_text_atomic(path, text: str) -> None:
    with atomic_write(path) as handle:
        handle.write(text)


def write_json_atomic(path, document) -> None:
    write_text_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def check_writable(path) -> None:
    """Raise OSError (saying why) unless ``path`` can be written atomically:
    its folder can be made and written to, and it is not a folder itself."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; give a file path")
    with atomic_write(path + ".probe") as handle:
        handle.write("")
    os.unlink(path + ".probe")
