"""Protocols started from an exact witness (embedding_limits.witnesses.polish)."""

import os
import subprocess
import sys

import pytest

from conftest import TOOLS
from embedding_limits.config.protocol import Protocol
from embedding_limits.witnesses.polish import polish

SCRIPT = os.path.join(TOOLS, "polish_witness.py")


def test_the_published_protocol_leaves_a_witness_it_starts_from():
    record = polish("trig_moment", 2, 10, Protocol(max_steps=200))
    assert record.start_accuracy == 1.0  # the float32 witness holds at n = 10
    assert record.first_accuracy < 1.0  # one published step already breaks it
    assert record.lowest_accuracy <= record.first_accuracy
    assert record.steps == 200 and record.stop_reason == "max_steps"


@pytest.mark.parametrize(
    "construction,protocol,message",
    [
        ("moment", Protocol(), "re-normalises rows"),
        ("trig_moment", Protocol(loss="hinge", queries="centroid"), "centroid queries"),
    ],
)
def test_witnesses_a_protocol_cannot_start_from_are_refused(
    construction, protocol, message
):
    with pytest.raises(ValueError, match=message):
        polish(construction, 2, 10, protocol)


def test_cli_prints_a_row_per_protocol_and_n_and_checks_its_arguments(tmp_path):
    out = tmp_path / "polish.csv"
    done = subprocess.run(
        [sys.executable, SCRIPT, "--n", "6", "8", "--protocol", "max_steps=60",
         "--out", str(out)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert len(done.stdout.splitlines()) == 3  # a header and two rows
    assert out.read_text().splitlines()[0].startswith("construction,k,n,protocol")
    bad = subprocess.run([sys.executable, SCRIPT, "--n", "2"],
                         capture_output=True, text=True)  # fmt: skip
    assert (
        bad.returncode == 2 and "argument --n: every n must exceed k = 2" in bad.stderr
    )
    bad = subprocess.run([sys.executable, SCRIPT, "--n", "6", "--protocol", "los=x"],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "argument --protocol: los" in bad.stderr
