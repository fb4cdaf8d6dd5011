"""Which image, conda env, GPU request and device each job gets, as Snakemake
itself plans them (its Python API; no apptainer binary is needed for that)."""

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.enums import Quietness
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    DeploymentMethod,
    DeploymentSettings,
    OutputSettings,
    ResourceSettings,
)

from conftest import ROOT
from embedding_limits.config.protocol import Protocol
from embedding_limits.memory.sizes import dataset_job_mb, optimize_job_mb, qrels_job_mb

pytestmark = pytest.mark.workflow
IMAGES = {"cpu": "docker://example.org/cpu:1", "cuda12": "docker://example.org/gpu:1"}


def needed_jobs(tmp_path, config, sdm=()):
    """Snakemake's planned jobs for a config, under the --sdm methods given."""
    config = {"dims": [3, 4], "seeds": [0], "datasets": {}, "containers": IMAGES,
              **config}  # fmt: skip
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[tmp_path / "config.yaml"]),
            deployment_settings=DeploymentSettings(deployment_method=set(sdm)),
            snakefile=Path(ROOT, "Snakefile"),
            workdir=tmp_path,
        )
        workflow = workflow_api.dag(dag_settings=DAGSettings()).workflow_api._workflow
        workflow._prepare_dag(
            forceall=False, ignore_incomplete=True, lock_warn_only=True, nolock=True
        )
        workflow._build_dag()
        return list(workflow.dag.needrun_jobs())


def planned_jobs(tmp_path, **config):
    """Snakemake's planned jobs for a config: {(rule, d or None): job}."""
    return {
        (job.rule.name, job.wildcards.get("d")): job
        for job in needed_jobs(tmp_path, config)
    }


def env_name(job) -> str:
    return os.path.basename(job.conda_env_spec.file.get_path_or_uri(secret_free=True))


def test_gpu_min_dim_routes_large_d_to_the_gpu(tmp_path):
    jobs = planned_jobs(tmp_path, device="auto", gpu_min_dim=4)
    gpu, cpu = jobs[("optimize", "4")], jobs[("optimize", "3")]
    assert gpu.resources.get("gpu") == 1 and cpu.resources.get("gpu") == 0
    assert gpu.container_img_url == IMAGES["cuda12"]
    assert cpu.container_img_url == IMAGES["cpu"]
    assert env_name(gpu) == "jax-cuda12.yaml" and env_name(cpu) == "jax-cpu.yaml"
    # a job that asked for a GPU must get one: --device gpu, never auto
    assert gpu.params.device == "gpu" and cpu.params.device == "auto"
    assert "XLA_PYTHON_CLIENT_PREALLOCATE=false" in gpu.params.jax_env
    assert "JAX_COMPILATION_CACHE_DIR" in gpu.params.jax_env
    qrels = [job for (rule, _), job in jobs.items() if rule == "qrels"]
    assert qrels and all(j.container_img_url == IMAGES["cpu"] for j in qrels)
    assert all(env_name(j) == "analysis.yaml" for j in qrels)
    assert all(not j.resources.get("gpu") for j in qrels)


@pytest.mark.parametrize("device,gpus", [("gpu", 1), ("cpu", 0), ("auto", 0)])
def test_device_setting_applies_to_every_optimisation_job(tmp_path, device, gpus):
    jobs = planned_jobs(tmp_path, device=device)
    optimise = [job for (rule, _), job in jobs.items() if rule == "optimize"]
    assert len(optimise) == 2
    for job in optimise:
        assert job.resources.get("gpu") == gpus and job.params.device == device
        assert job.container_img_url == IMAGES["cuda12" if gpus else "cpu"]


def test_the_deterministic_gpu_mode_reaches_the_jobs(tmp_path):
    jobs = planned_jobs(tmp_path, device="gpu", deterministic=True)
    optimise = [job for (rule, _), job in jobs.items() if rule == "optimize"]
    assert optimise and all(
        job.params.deterministic == "--deterministic" for job in optimise
    )


def test_optimiser_settings_reach_the_job_as_one_document_in_a_stable_order(tmp_path):
    """The job gets its protocol whole, as one JSON document with every setting
    in Protocol's order; the config's YAML order does not matter."""
    given = {"max_steps": 77, "learning_rate": 0.5, "eval_every": 7}
    first = planned_jobs(tmp_path / "a", optimizer=given)[("optimize", "4")]
    reordered = dict(reversed(given.items()))
    second = planned_jobs(tmp_path / "b", optimizer=reordered)[("optimize", "4")]
    assert first.params.protocol == second.params.protocol
    settings = json.loads(first.params.protocol)
    assert list(settings) == list(Protocol().to_dict())
    assert settings == Protocol(max_steps=77, learning_rate=0.5, eval_every=7).to_dict()


def slurm_dry_run(tmp_path, config, *args):
    from helpers import snakemake

    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    profile = os.path.join(ROOT, "profiles", "slurm")
    return snakemake(tmp_path, "--profile", profile, "-n", *args, check=False)


def test_shipped_slurm_profile_plans_without_containers(tmp_path):
    """profiles/slurm as shipped: jobs run in the submitting environment."""
    done = slurm_dry_run(tmp_path, {"dims": [4], "seeds": [0]})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Job stats:" in done.stdout and "optimize" in done.stdout
    assert "apptainer" not in done.stdout + done.stderr


def grouped_lines(out: str) -> str:
    """The lines of a dry run's plan that stand under a group job (a group's
    members are indented under it)."""
    grouped, in_group = [], False
    for line in out.splitlines():
        if line.startswith("["):
            in_group = "Group job" in line
        elif in_group:
            grouped.append(line)
    return "\n".join(grouped)


def test_gpu_jobs_never_share_a_cluster_job(tmp_path):
    """The profile groups small jobs; no group may hold a GPU job, whose
    process would otherwise share the allocation's first GPU with the rest."""
    grid = {3: [5, 6, 7], 4: [8, 9, 10]}
    config = {"dims": [3, 4], "seeds": [0], "device": "auto", "gpu_min_dim": 4,
              "datasets": {}, "search": {"grid": grid}}  # fmt: skip
    done = slurm_dry_run(tmp_path, config)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    grouped = grouped_lines(out)
    assert "gpu=0" in grouped and "d~3/" in grouped
    assert "gpu=1" not in grouped and "d~4/" not in grouped
    assert out.count("gpu=1") == 3  # each GPU job planned on its own


def test_apptainer_without_images_names_the_fix(tmp_path):
    done = slurm_dry_run(tmp_path, {"dims": [4]}, "--sdm", "apptainer")
    assert done.returncode != 0
    message = done.stdout + done.stderr
    assert "containers.cpu" in message and "make images" in message


def test_every_job_that_grows_with_its_problem_declares_its_memory(tmp_path):
    """qrels, optimisation and dataset jobs declare memory/sizes.py's estimate."""
    tiny = {"queries": 15, "documents": 6, "attributes_per_doc": 8}
    jobs = planned_jobs(tmp_path, dims=[3], search={"grid": {3: [40]}},
                        datasets={"tiny": tiny}, critical_d={"start": 2})  # fmt: skip
    declared = {key: job.resources.get("mem_mb") for key, job in jobs.items()}
    assert declared[("qrels", None)] == qrels_job_mb(40, 2)
    assert declared[("optimize", "3")] == optimize_job_mb(780, 40, 3, 2, "infonce")
    assert declared[("limit_dataset", None)] == dataset_job_mb(6, 15, 2, 8)
    assert declared[("optimize", "2")] == optimize_job_mb(15, 6, 2, 2, "infonce")


def test_the_slurm_profile_caps_jobs_at_its_largest_partition(tmp_path):
    """The profile's mem_mb resource is the largest partition's memory, and a
    config with a job bigger than that is refused before any job."""
    folder = os.path.join(ROOT, "profiles", "slurm")
    profile = yaml.safe_load(open(os.path.join(folder, "config.yaml")))
    partitions = yaml.safe_load(open(os.path.join(folder, "partitions.yaml")))
    largest = max(p["max_mem_mb"] for p in partitions["partitions"].values())
    assert profile["resources"]["mem_mb"] == largest
    config = {"dims": [3], "seeds": [0], "datasets": {},
              "search": {"grid": {3: [100000]}}}  # fmt: skip
    done = slurm_dry_run(tmp_path, config)
    assert done.returncode != 0 and not (tmp_path / "results").exists()
    message = done.stdout + done.stderr
    assert "one job may have 500.0 GiB here (the mem_mb resource" in message
    assert "search.grid.3: n = 100000 (k = 2, protocol published) needs" in message


def gpu_and_cpu_embedders(tmp_path):
    """A config with a sentence-transformers embedder on each device; its
    model folder holds a config.json only (planning reads its dimension)."""
    model = tmp_path / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"hidden_size": 16}')
    embedder = {"backend": "sentence-transformers", "model": str(model), "dims": [8]}
    return {"dims": [4], "seeds": [0], "critical_d": {"enabled": False},
            "datasets": {"tiny": {"queries": 15, "documents": 6,
                                  "attributes_per_doc": 8}},
            "embedders": {"st-gpu": {**embedder, "device": "gpu"},
                          "st-cpu": {**embedder, "device": "cpu"}}}  # fmt: skip


def test_a_gpu_embedder_gets_a_gpu_its_env_its_image_and_device_gpu(tmp_path):
    """Planned under --sdm conda, which brings its own packages: the plan
    needs no sentence-transformers here."""
    images = {**IMAGES, "sentence_transformers": "docker://example.org/st:1"}
    config = {**gpu_and_cpu_embedders(tmp_path), "containers": images}
    jobs = needed_jobs(tmp_path / "plan", config, sdm=[DeploymentMethod.CONDA])
    embed = {j.wildcards.embedder: j for j in jobs if j.rule.name == "embed"}
    gpu, cpu = embed["st-gpu"], embed["st-cpu"]
    assert gpu.resources.get("gpu") == 1 and cpu.resources.get("gpu") == 0
    assert "--device gpu" in gpu.params.options
    assert "--device cpu" in cpu.params.options
    for job in (gpu, cpu):
        assert env_name(job) == "sentence-transformers.yaml"
        assert job.container_img_url == images["sentence_transformers"]
    scores = [j for j in jobs if j.rule.name == "score_embedder"]
    assert len(scores) == 2 and all(not j.resources.get("gpu") for j in scores)


def test_a_gpu_embedder_never_shares_a_cluster_job(tmp_path, monkeypatch):
    """The SLURM profile's plan: the GPU embedding job on its own with gpu=1,
    the CPU one grouped. A stand-in sentence_transformers package (empty) is
    what the installed-check finds here; planning never imports it."""
    stub = tmp_path / "stub" / "sentence_transformers"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(stub.parent))
    done = slurm_dry_run(tmp_path, gpu_and_cpu_embedders(tmp_path), "-p")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    grouped = grouped_lines(out)
    made = "output: results/embeddings/tiny/embedder~{}.npz"
    assert made.format("st-cpu") in grouped and made.format("st-gpu") not in grouped
    assert "gpu=1" not in grouped and out.count("gpu=1") == 1
    assert re.search(r"--embedder st-gpu.*?--device gpu", out, re.S)


def test_a_backend_that_runs_on_a_cpu_only_is_refused_a_gpu():
    from embedding_limits.config.schema import complete
    from embedding_limits.embedders.checks import errors
    from helpers import SCHEMA

    config = complete({"embedders": {"wl": {"backend": "wordllama",
                                            "device": "gpu"}}}, SCHEMA)  # fmt: skip
    assert errors(config) == [
        "embedders.wl.device: backend wordllama runs on cpu only; set device: cpu"
    ]


@pytest.mark.parametrize("backend", ["sentence-transformers", "model2vec"])
def test_apptainer_asks_for_the_optional_image_only_when_it_is_used(tmp_path, backend):
    """The image check passes without an optional backend (the run then stops
    for want of apptainer here), and names the key and the build with one."""
    model = tmp_path / "model"
    model.mkdir()
    config = {"dims": [4], "containers": IMAGES}
    done = slurm_dry_run(tmp_path, config, "--sdm", "apptainer")
    assert "containers." not in done.stdout + done.stderr
    config["embedders"] = {"x": {"backend": backend, "model": str(model), "dims": [8]}}
    done = slurm_dry_run(tmp_path, config, "--sdm", "apptainer")
    message = done.stdout + done.stderr
    assert done.returncode != 0
    assert "config containers.sentence_transformers is not set" in message
    assert "make images IMAGES='sentence-transformers'" in message
