"""A single-node SLURM cluster on this machine, from Debian's packages, for tests.

Facts it is built on (checked on these machines):
- no cgroups here: ``proctrack/linuxproc``, ``task/none``, ``select/cons_tres``;
- the node is described like a cluster node (16 CPUs, 64 GB), larger than this
  machine, with ``SlurmdParameters=config_overrides``: so the shipped profile's
  requests (4 CPUs per optimisation job) fit unchanged;
- the SLURM plugin clears ``SLURM_CONF`` before its inner ``srun``, so the
  configuration must sit at /etc/slurm/slurm.conf (saved and restored here);
- a fake GPU is a ``Gres=gpu:1`` on the node plus a gres.conf whose ``File=``
  is a character device (``mknod ... c 1 3``): then SLURM sets
  ``CUDA_VISIBLE_DEVICES`` for jobs that ask for a GPU;
- without an accounting database the plugin must poll with ``squeue``;
  ``jobcomp/filetxt`` still leaves a line per finished job (id, partition).

Only the daemons it started are stopped, and only files it wrote are removed.
Packages it installed are removed again: with SLURM's client tools on PATH but
no controller running, the SLURM plugin's start-up probe (``scontrol show
config``, 10 s timeout) would slow every later snakemake call on the machine.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import time
from pathlib import Path

CONF_DIR = Path("/etc/slurm")
FAKE_GPU = Path("/dev/fake-gpu-free-embedding")
PACKAGES = ["slurm-wlm", "munge"]


class SlurmUnavailable(RuntimeError):
    """This machine cannot host the test cluster; the message says why."""


def _run(*cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_packages() -> bool:
    """Install SLURM and munge if missing; True when this call installed them."""
    if shutil.which("slurmctld") and shutil.which("slurmd") and shutil.which("munged"):
        return False
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SlurmUnavailable(
            "SLURM is not installed, and installing it needs root and apt-get"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", *PACKAGES],
    ):
        done = _run(*cmd, env=env)
        if done.returncode != 0:
            raise SlurmUnavailable(f"{' '.join(cmd)} failed: {done.stderr[-500:]}")
    return True


def remove_packages() -> None:
    """Undo ensure_packages: the packages and what was installed for them."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run("apt-get", "autoremove", "--purge", "-y", "-qq", *PACKAGES, env=env)


NODE_CPUS, NODE_MEMORY_MB = 16, 64000


class LocalSlurm:
    """Start with :meth:`start`, always :meth:`stop` (a context manager)."""

    def __init__(self, root: Path):
        self.root = root
        self.node = platform.node()
        self.log = root / "log"
        self.jobcomp = self.log / "jobcomp.log"
        self._pids: list[Path] = []
        self._saved: dict[Path, bytes | None] = {}
        self._made_device = False
        self._installed = False

    # -- set-up --------------------------------------------------------------
    def _write_config(self) -> None:
        conf = f"""\
ClusterName=freeembtest
SlurmctldHost={self.node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.log}/slurmctld.log
SlurmdLogFile={self.log}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName={self.node} CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} Gres=gpu:1 \
State=UNKNOWN
PartitionName=cpu Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={self.node} MaxTime=INFINITE State=UP
"""
        gres = f"NodeName={self.node} Name=gpu File={FAKE_GPU}\n"
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        for name, text in (("slurm.conf", conf), ("gres.conf", gres)):
            path = CONF_DIR / name
            self._saved[path] = path.read_bytes() if path.exists() else None
            path.write_text(text)

    def _start_munge(self) -> None:
        if _run("pgrep", "-x", "munged").returncode == 0:
            return  # someone else's munged: use it, leave it running
        run_dir = Path("/run/munge")
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_dir, "munge", "munge")
        done = _run("runuser", "-u", "munge", "--", "munged")
        if done.returncode != 0:
            raise SlurmUnavailable(f"munged did not start: {done.stderr[-300:]}")
        self._pids.append(run_dir / "munged.pid")

    def start(self) -> LocalSlurm:
        self._installed = ensure_packages()
        if os.geteuid() != 0:
            raise SlurmUnavailable("starting SLURM daemons needs root")
        if _run("pgrep", "-x", "slurmctld").returncode == 0:
            raise SlurmUnavailable(
                "a slurmctld is already running here; not touching it"
            )
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if not FAKE_GPU.exists():
            _run("mknod", str(FAKE_GPU), "c", "1", "3", check=True)
            self._made_device = True
        self._write_config()
        self._start_munge()
        for daemon, pid in (("slurmctld", "slurmctld.pid"), ("slurmd", "slurmd.pid")):
            args = [daemon, "-c"] if daemon == "slurmctld" else [daemon]
            done = _run(*args)
            if done.returncode != 0:
                self.stop()
                raise SlurmUnavailable(f"{daemon} did not start: {done.stderr[-300:]}")
            self._pids.append(self.root / pid)
        self._wait_idle()
        return self

    def _wait_idle(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "idle" in _run("sinfo", "-h", "-o", "%T").stdout:
                return
            time.sleep(0.2)
        self.stop()
        raise SlurmUnavailable(f"the node did not become idle within {timeout:.0f} s")

    # -- tear-down -----------------------------------------------------------
    def stop(self) -> None:
        for pid_file in reversed(self._pids):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        self._pids.clear()
        time.sleep(0.5)
        for path, content in self._saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        self._saved.clear()
        if self._made_device:
            FAKE_GPU.unlink(missing_ok=True)
            self._made_device = False
        if self._installed:
            remove_packages()
            self._installed = False

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- evidence ------------------------------------------------------------
    def finished_jobs(self) -> dict[str, dict[str, str]]:
        """jobcomp's record of every finished job, keyed by job id."""
        if not self.jobcomp.exists():
            return {}
        jobs = {}
        for line in self.jobcomp.read_text().splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            jobs[fields["JobId"]] = fields
        return jobs
