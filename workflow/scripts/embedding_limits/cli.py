"""What the command lines of workflow/scripts/ and tools/ accept: argparse
types that refuse a bad value with a one-line reason (argparse then exits 2
with the usage), and the check that an output can be written, made before
any work."""

from __future__ import annotations

import argparse
import os

from .files import check_writable


def positive_int(text: str) -> int:
    """An integer of at least 1, written in decimal."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """An integer of at least 0, written in decimal."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def existing_file(text: str) -> str:
    """A path to a file that is there."""
    if not os.path.isfile(text):
        why = "is a folder" if os.path.isdir(text) else "no such file"
        raise argparse.ArgumentTypeError(f"{text}: {why}")
    return text


def existing_folder(text: str) -> str:
    """A path to a folder that is there."""
    if not os.path.isdir(text):
        why = "is a file" if os.path.exists(text) else "no such folder"
        raise argparse.ArgumentTypeError(f"{text}: {why}")
    return text


def check_outputs(parser: argparse.ArgumentParser, **outputs) -> None:
    """Stop with the usage unless every output (option name -> path) can be
    written: found before the work, not after it."""
    for option, path in outputs.items():
        if path is None:
            continue
        try:
            check_writable(path)
        except OSError as error:
            reason = error.strerror or str(error)
            parser.error(f"argument --{option.replace('_', '-')}: {path}: {reason}")
