"""Snakemake's incomplete markers, as the pinned Snakemake writes them."""

import os
import signal
import subprocess
import time

from embedding_limits.store.snakemake_markers import marked_incomplete
from helpers import BIN

# long enough that its marker's name is cut into "@" folders
LONG = "results/" + "/".join(f"level~{i:03d}_{'x' * 40}" for i in range(6)) + "/r.json"


def test_the_outputs_of_a_job_cut_off_by_kill_9_are_read_back(tmp_path):
    """A real Snakemake, killed with -9 while its job writes two outputs (one
    with a path longer than a file name may be): both are read back as marked,
    and a finished output is not."""
    (tmp_path / "Snakefile").write_text(
        "rule done:\n    output: 'done.txt'\n    shell: 'touch {output}'\n\n"
        "rule slow:\n    input: 'done.txt'\n"
        f"    output: short='a~1/b.json', long='{LONG}'\n"
        "    shell: 'sleep 60; touch {output}'\n"
    )
    run = subprocess.Popen(
        [os.path.join(BIN, "snakemake"), "--cores", "1", "-d", str(tmp_path),
         "-s", str(tmp_path / "Snakefile"), "a~1/b.json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while len(marked_incomplete(str(tmp_path))) < 2 and time.time() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert (tmp_path / "done.txt").exists()
    assert marked_incomplete(str(tmp_path)) == sorted(["a~1/b.json", LONG])
    assert any(
        name.startswith("@")
        for _, folders, _ in os.walk(tmp_path / ".snakemake" / "incomplete")
        for name in folders
    )
