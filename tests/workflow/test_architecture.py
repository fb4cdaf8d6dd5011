"""The house as docs/architecture.md draws it: rooms on floors that import
downwards only, small rooms and modules, thin rule files, a README that is a
front page with every page of docs/ on its map, and a map whose every named
file and name exists."""

import ast
import glob
import os
import re

import pytest

from conftest import ROOT, SCRIPTS

LIBRARY = os.path.join(SCRIPTS, "embedding_limits")
ARCHITECTURE = os.path.join(ROOT, "docs", "architecture.md")
PAGE = open(ARCHITECTURE, encoding="utf-8").read()


def floors() -> dict[str, int]:
    """Room (or top-level module) -> its floor, from the page's table."""
    found = {}
    for floor, cell in re.findall(r"^\| (\d+) \| ([^|]+) \|", PAGE, re.M):
        for name in re.findall(r"`(\w+)(?:\.py)?`", cell):
            found[name] = int(floor)
    return found


def room_of(module: str) -> str:
    """``embedding_limits.search.plan`` -> ``search``; a top-level module is
    its own room (``files``)."""
    return module.split(".")[1]


def imports(path: str, module: str) -> set[str]:
    """The library modules (or packages) that one module imports."""
    package = module.split(".")[:-1] if not path.endswith("__init__.py") else (
        module.split(".")
    )  # fmt: skip
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            if not target.startswith("embedding_limits"):
                continue
            parts = target.split(".")
            if len(parts) == 1:  # from embedding_limits import paper
                found |= {f"embedding_limits.{a.name}" for a in node.names}
            else:
                found.add(target)
        elif isinstance(node, ast.Import):
            found |= {
                a.name for a in node.names if a.name.startswith("embedding_limits")
            }
    return found


def library_modules():
    for path in glob.glob(os.path.join(LIBRARY, "**", "*.py"), recursive=True):
        relative = os.path.relpath(path, SCRIPTS)[: -len(".py")]
        module = relative.replace(os.sep, ".").removesuffix(".__init__")
        yield path, module


def test_every_room_is_on_a_floor_and_imports_only_rooms_below_it():
    floor = floors()
    rooms = {room_of(m) for _, m in library_modules() if m.count(".") >= 1}
    assert rooms == set(floor), "docs/architecture.md's floors name every room"
    upward = []
    for path, module in library_modules():
        if module == "embedding_limits":
            continue
        mine = room_of(module)
        for target in imports(path, module):
            theirs = room_of(target)
            if theirs != mine and floor[theirs] >= floor[mine]:
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_no_room_is_over_15_modules_and_no_module_over_400_lines():
    rooms = {}
    for path, module in library_modules():
        rooms.setdefault(os.path.dirname(path), []).append(path)
        lines = sum(1 for _ in open(path))
        assert lines <= 400, f"{module}: {lines} lines"
    for folder, paths in rooms.items():
        modules = [p for p in paths if not p.endswith("__init__.py")]
        assert len(modules) <= 15, f"{folder}: {len(modules)} modules"


def test_the_library_never_imports_snakemake():
    for path, module in library_modules():
        for node in ast.walk(ast.parse(open(path).read())):
            names = (
                [node.module or ""] if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import)
                else []
            )  # fmt: skip
            assert not any(n.split(".")[0] == "snakemake" for n in names), module


def test_rule_files_are_thin_and_common_smk_is_shared_set_up():
    rules = os.path.join(ROOT, "workflow", "rules")
    common = open(os.path.join(rules, "common.smk")).read()
    assert common.count("\n") <= 150
    assert not re.search(r"^(rule|checkpoint) ", common, re.M)
    for path in glob.glob(os.path.join(rules, "*.smk")):
        text = open(path).read()
        lines = text.count("\n")
        assert lines <= 150, f"{path}: {lines} lines"
        if not path.endswith("common.smk"):
            assert not re.search(r"^def ", text, re.M), f"{path} defines a function"
    figures = open(os.path.join(rules, "figures.smk")).read()
    assert re.findall(r"^rule (\w+):", figures, re.M) == ["figure"]


# a path of the repository, in backticks, maybe followed by (`name`)
NAMED = re.compile(
    r"`((?:workflow|tests|tools|configs|envs|containers|profiles|resources|docs)"
    r"/[\w./-]*|Snakefile|config\.yaml)`(?:\s*\(`(\w+)`)?"
)


def test_every_file_and_name_the_map_gives_exists():
    """What architecture.md says lives where (a file, and a name given in
    brackets after it, defined in that file) is there: the paragraphs on a
    new dataset source or embedder backend cannot point at what moved."""
    found = NAMED.findall(PAGE.replace("\n", " "))
    assert len(found) > 40
    for path, name in found:
        where = os.path.join(ROOT, path)
        assert os.path.exists(where), path
        defined = rf"^\s*(?:(?:def|class) {name}\b|{name}\s*[:=])"
        if name:
            assert re.search(defined, open(where).read(), re.M), f"{path}: {name}"
    for section in ("A dataset source", "An embedder backend", "A figure", "A loss"):
        assert f"**{section}.**" in PAGE


def test_the_readme_is_a_front_page_with_every_page_on_its_map():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert readme.count("\n") <= 330
    pages = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))}
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)", readme))
    assert pages <= linked, pages - linked


@pytest.mark.parametrize("page", sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))))
def test_every_relative_link_of_the_docs_leads_somewhere(page):
    text = open(page, encoding="utf-8").read()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert os.path.exists(os.path.join(os.path.dirname(page), target)), target
