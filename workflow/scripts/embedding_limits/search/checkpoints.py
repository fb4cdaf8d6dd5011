"""The searches as Snakemake runs them: each replayed over the optimize
checkpoint's finished jobs, whose outcomes decide what runs next.

Snakemake re-runs a rule's input functions after every checkpoint job, so a
search is a pure replay (searches.py) over the outcomes known so far: the
search rule's input is the runs its replay reaches, which raises (through the
checkpoint) at the first value whose job has not run; Snakemake runs that job
and asks again. :class:`SearchJobs` holds that glue, with the workflow's
handles passed in, so that it imports no Snakemake and is tested as it is.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from ..store import paths
from ..store.documents import ResultError, expected_parameters, load_run, load_summary
from ..store.snakemake_markers import marked_incomplete
from .searches import Search, replay_search
from .strategies import SearchDone


class SearchJobs:
    """The input functions of the search rule, and the runs `all` keeps.

    ``searches``: every search by its summary path; ``protocols``: each
    protocol's settings by name; ``seeds``: the seeds of each protocol's jobs;
    ``run_of(probe)``: the run file of a probe's optimize job (its wildcards),
    raising ``pending`` until that job has run;
    ``fail``: the exception that stops the run with a message (Snakemake's
    WorkflowError).
    """

    def __init__(
        self,
        searches: dict[str, Search],
        protocols: dict[str, dict],
        seeds: dict[str, list[int]],
        dataset_k: dict[str, int],
        run_of: Callable[[dict], str],
        pending: type[Exception],
        fail: type[Exception] = ValueError,
    ):
        self.searches, self.protocols, self.seeds = searches, protocols, seeds
        self.dataset_k, self.run_of = dataset_k, run_of
        self.pending, self.fail = pending, fail
        self._solved = functools.lru_cache(maxsize=None)(self._read)

    def search_of(self, wildcards) -> Search:
        """The search whose summary a job of the search rule writes."""
        w = wildcards
        path = paths.build(paths.SUMMARY, protocol=w.protocol, subject=w.subject,
                           settings=w.settings)  # fmt: skip
        if path not in self.searches:
            raise self.fail(f"{path} is not a search of this config")
        return self.searches[path]

    def _read(self, path: str, mtime_ns: int) -> tuple[tuple[int, bool], ...]:
        try:
            expected = expected_parameters(
                path, self.protocols, self.seeds, self.dataset_k
            )
            seeds = load_run(path, expected)["metrics"]["seeds"]
        except ResultError as error:
            raise self.fail(str(error)) from None
        return tuple((seed["seed"], seed["solved"]) for seed in seeds)

    def outcome(self, search: Search, x: int) -> dict[int, bool]:
        """Each seed's outcome at search's value x, after checking that the
        file is that job's; read once per version of the file (its mtime).
        Raises ``pending`` until the job has run."""
        path = self.run_of(search.probe(x))
        return dict(self._solved(path, os.stat(path).st_mtime_ns))

    def known_outcome(self, search: Search, x: int) -> dict[int, bool] | None:
        """As :meth:`outcome`, or None while the job has not run."""
        try:
            return self.outcome(search, x)
        except self.pending:
            return None

    def runs(self, wildcards) -> list[str]:
        """The runs of a finished search (the search rule's input): the replay
        raises at the first value whose job has not run, so the search
        advances a job at a time."""
        search = self.search_of(wildcards)
        return [search.run_path(x) for x in search.values(self.replay(search))]

    def meanwhile(self, wildcards) -> list[str]:
        """The runs to make while a search waits for the one its replay asks
        for: once its any-seed search is done, its sweep and each seed's next
        value, so that they run in parallel; none once it is done."""
        search = self.search_of(wildcards)
        step = replay_search(search, self.known_outcome)
        if isinstance(step, SearchDone):
            return []
        return [search.run_path(x) for x in step.alongside]

    def replay(self, search: Search) -> SearchDone:
        return replay_search(search, self.outcome)

    def parameters(self, search: Search) -> dict:
        """What a search's runs depend on beyond its path: its summary holds it."""
        return {"protocol": self.protocols[search.protocol],
                "seeds": self.seeds[search.protocol]}  # fmt: skip

    def found(self, wildcards) -> dict:
        """The summary: what the search ran and found, under which parameters."""
        search = self.search_of(wildcards)
        return {**search.summary(self.replay(search)),
                "parameters": self.parameters(search)}  # fmt: skip

    def known_runs(self) -> list[str]:
        """The runs listed by summaries already made under these parameters:
        targets of `all`, since Snakemake does not remake a missing file whose
        consumers are up to date (without this, a deleted result stays
        deleted). A summary of other parameters is left out: it is remade."""
        runs = []
        for path, search in self.searches.items():
            if not os.path.exists(path):
                continue
            try:
                summary = load_summary(path)
            except ResultError as error:
                raise self.fail(str(error)) from None
            if summary.get("parameters") == self.parameters(search):
                runs += summary["runs"]
        return runs

    def incomplete_runs(self, workdir: str = ".") -> list[str]:
        """Runs of these searches whose job never reported back (one that
        outlived a Snakemake killed with -9, then wrote its result): targets
        of `all`, so that rerun-incomplete redoes them on the first rerun
        (Snakemake checks for incomplete files only among the jobs it knows
        when it starts, not among a checkpoint's later ones)."""
        return [
            path
            for path in marked_incomplete(workdir)
            if os.path.exists(os.path.join(workdir, path))
            and any(search.owns(path) for search in self.searches.values())
        ]
