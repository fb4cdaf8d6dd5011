"""Every `snakemake` command the README, docs/, the configs and the Makefile
show, as a user would type it: each parses, names its targets before
--configfile and --config, and each full command of a code block plans its
jobs in a dry run (a report needs finished results: test_witness runs the
README's report commands for real)."""

import glob
import os
import re
import shlex
import shutil

import pytest

from conftest import ROOT
from embedding_limits.data.beir import write_dataset
from embedding_limits.data.limit_text import DatasetSpec, generate, load_vocabulary
from helpers import VOCAB, readme_report_commands, snakemake

PAGES = ["README.md", *sorted(glob.glob("docs/*.md", root_dir=ROOT)),
         "containers/README.md"]  # fmt: skip
DOCUMENTS = [*PAGES, *sorted(glob.glob("configs/*.yaml", root_dir=ROOT)), "Makefile"]
COMMAND = re.compile(r"(?:^|(?<=[\s`]))(?:[\w./-]*/)?snakemake((?: [^`#\n]*)?)")


def documented_snakemake_commands():
    """Every `snakemake ...` the documents show, in code or prose, as its
    arguments (to the end of the line, a closing backtick or a comment)."""
    for name in DOCUMENTS:
        for number, line in enumerate(open(os.path.join(ROOT, name)), 1):
            for found in COMMAND.finditer(line):
                try:
                    yield f"{name}:{number}", shlex.split(found[1])
                except ValueError:  # an unclosed quote: prose, not a command
                    continue


def code_block_commands():
    """The full `snakemake` command lines of the pages' shell blocks
    (continuations joined), with any VAR=value words before them."""
    for name in PAGES:
        shell, fence = False, None
        lines = open(os.path.join(ROOT, name)).read().replace("\\\n", " ")
        for number, line in enumerate(lines.splitlines(), 1):
            if line.lstrip().startswith("```"):  # a shell block: ```bash or ```sh
                fence = None if fence else line.strip()
                shell = fence in ("```bash", "```sh")
                continue
            if not shell or "snakemake" not in line:
                continue
            words = shlex.split(line, comments=True)  # unparseable: the test fails
            for i, word in enumerate(words):
                if word == "snakemake" or word.endswith("/bin/snakemake"):
                    env = [w for w in words[:i] if re.fullmatch(r"\w+=.*", w)]
                    yield f"{name}:{number}", env, words[i + 1 :]


def test_documented_commands_name_targets_before_config_options():
    """--configfile and --config take every word after them: `--configfile
    my.yaml witnesses` reads `witnesses` as a config file. Targets go first."""
    wrong = []
    for where, words in documented_snakemake_commands():
        option = None
        for word in words:
            if word.startswith("-"):
                option = word if word in ("--configfile", "--config") else None
            elif option == "--configfile" and not word.endswith((".yaml", ".yml")):
                wrong.append(f"{where}: {word!r} after --configfile")
            elif option == "--config" and "=" not in word:
                wrong.append(f"{where}: {word!r} after --config")
    assert not wrong, wrong
    commands = [w for _, w in documented_snakemake_commands()]
    assert ["--cores", "all", "witnesses", "--configfile", "my.yaml"] in commands


def readme_yaml(name: str) -> str:
    """The README's example config file ``name`` (its code block)."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    block = re.search(rf"```yaml\n(# {re.escape(name)}\b.*?)```", readme, re.S)
    return block[1]


# a report needs finished results: test_witness runs the README's for real
COMMANDS = [c for c in code_block_commands() if "--report" not in c[2]]


def test_every_documented_report_command_is_one_the_tests_run_for_real():
    reports = [words for _, _, words in code_block_commands() if "--report" in words]
    assert reports and all(words in readme_report_commands() for words in reports)


def test_the_pages_show_the_commands_users_type_next():
    places = {where.split(":")[0] for where, _, _ in COMMANDS}
    pages = {"README.md", "docs/searches.md", "docs/protocols.md",
             "docs/witnesses.md", "docs/datasets.md", "docs/cluster.md"}  # fmt: skip
    assert pages <= places


@pytest.mark.workflow
@pytest.mark.parametrize("where,env,words", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_documented_command_plans_its_jobs(tmp_path, where, env, words):
    """A dry run of the command as typed, in a folder like a fresh clone's
    (config.yaml, configs/, the README's my.yaml, the released LIMIT-small's
    folder where the pages clone it); a --directory it names, and a profile
    installed by name, are this test's."""
    shutil.copy(os.path.join(ROOT, "config.yaml"), tmp_path)
    shutil.copytree(os.path.join(ROOT, "configs"), tmp_path / "configs")
    (tmp_path / "my.yaml").write_text(readme_yaml("my.yaml"))
    # what the pages download first (git clone of google-deepmind/limit, no
    # network here): a small dataset folder of the same layout in its place
    spec = DatasetSpec("stand-in", queries=20, documents=8, attributes_per_doc=6)
    write_dataset(generate(spec, load_vocabulary(VOCAB)),
                  tmp_path / "external/limit/data/limit-small")  # fmt: skip
    words = list(words)
    if "--directory" in words:  # its own folder: here, a subfolder of ours
        i = words.index("--directory") + 1
        (tmp_path / "elsewhere").mkdir()
        words[i] = str(tmp_path / "elsewhere")
    if "--profile" in words:  # `--profile slurm` once installed: the shipped one
        i = words.index("--profile") + 1
        words[i] = os.path.join(ROOT, "profiles", os.path.basename(words[i]))
    variables = dict(w.split("=", 1) for w in env)  # VAR=value before it
    done = snakemake(tmp_path, *words, "-n", check=False, env=variables, cwd=tmp_path)
    assert done.returncode == 0, f"{where}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    planned = ("Job stats", "Nothing to be done", "Unlocked working directory")
    assert any(word in done.stdout for word in planned), where
