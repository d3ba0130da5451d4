# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""Queries over recorded runs: `compareRuns`, `simulateReplay`, `determinismReport`.

Each reads the runs' spans through the context's reader, as the run model shows them (GenAI
log events merged: `runlens.runs`), and hands them to the pure functions of `runlens.analysis`.
`determinismReport` also reads the agent's most recent ended runs (`EVIDENCE_RUNS` of them):
its replays of the run and its runs with an equal input are evidence.
"""

from __future__ import annotations

import asyncio

import strawberry

from runlens.analysis.determinism.report import determinism_report
from runlens.analysis.replay.compare import compare
from runlens.analysis.replay.simulate import simulate
from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import not_found
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.types.determinism import DeterminismReport
from runlens.api.graphql.types.replay import ReplaySimulation, RunComparison
from runlens.runs.view import view_of
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import SpanRecord
from runlens.storage.contract import RunQuery, RunStatus, RunSummary

Info = strawberry.Info[Context, None]

EVIDENCE_RUNS = 20
"""How many of the agent's most recent ended runs `determinismReport` compares with."""
_ENDED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.TERMINATED)


async def _summary(info: Info, run_id: str) -> RunSummary:
    summary = await info.context.loaders.summaries.load(run_id)
    if summary is None:
        raise not_found(f"no run with id {run_id!r} in this project")
    return summary


# What the analysis reads of a span: all but the resource, the span events and the request
# parameters. The resource and attribute maps are the costliest columns to turn into Python.
_FIELDS = frozenset(
    {
        "trace_id", "parent_span_id", "name", "end_time_unix_nano", "agent_id", "agent_name",
        "provider", "request_model", "response_model", "response_id", "usage", "cost_usd",
        "cost_source", "price_version", "input", "output", "tool_name", "tool_call_id",
        "tool_calls", "error_type", "error_message", "outcome", "replay_of", "code_filepath",
        "code_function", "code_lineno", "attributes", "truncated",
    }
)  # fmt: skip


async def _spans(info: Info, *summaries: RunSummary) -> list[list[SpanRecord]]:
    """The events of each run, in one read bounded by the runs' times."""
    ctx = info.context
    ids = [s.run_id for s in summaries]
    found = await off_loop(ctx.reader.run_timelines, ctx.project_id, ids, summaries, _FIELDS)
    return [list(view_of(found.get(s.run_id), s).spans) for s in summaries]


async def _evidence_runs(info: Info, summary: RunSummary) -> list[RunSummary]:
    """The agent's most recent ended runs other than this one."""
    ctx = info.context
    query = RunQuery(
        project_id=ctx.project_id,
        limit=EVIDENCE_RUNS + 1,
        statuses=_ENDED,
        agent_id=summary.agent_id,
    )
    found = await off_loop(ctx.reader.runs_page, query)
    return [s for s in found if s.run_id != summary.run_id][:EVIDENCE_RUNS]


@strawberry.type
class AnalysisQuery:
    @strawberry.field(
        description="A replay compared with its original run: aligned actions, divergences, "
        "match rate and both costs at one price version. NOT_FOUND when either run is unknown."
    )
    async def compare_runs(
        self, info: Info, original_id: strawberry.ID, replay_id: strawberry.ID
    ) -> RunComparison:
        summaries = await asyncio.gather(
            _summary(info, str(original_id)), _summary(info, str(replay_id))
        )
        original, replay = await _spans(info, *summaries)
        prices = info.context.options.prices or PriceTable.bundled()
        comparison = await asyncio.to_thread(compare, original, replay, prices)
        return RunComparison.of(str(original_id), str(replay_id), comparison)

    @strawberry.field(
        description="What a replay of the run would serve from the recording, re-execute and "
        "cost, without running anything. NOT_FOUND when the run is unknown."
    )
    async def simulate_replay(self, info: Info, run_id: strawberry.ID) -> ReplaySimulation:
        summary = await _summary(info, str(run_id))
        [spans] = await _spans(info, summary)
        running = summary.status is RunStatus.RUNNING
        return ReplaySimulation.of(str(run_id), simulate(spans, running))

    @strawberry.field(
        description="How deterministic the run is: issues with evidence and fixes, and a "
        "score 0-100. NOT_FOUND when the run is unknown."
    )
    async def determinism_report(self, info: Info, run_id: strawberry.ID) -> DeterminismReport:
        summary = await _summary(info, str(run_id))
        others = await _evidence_runs(info, summary)
        spans, *found = await _spans(info, summary, *others)  # one read for all of them
        candidates = {s.run_id: run for s, run in zip(others, found, strict=True) if run}
        report = await asyncio.to_thread(determinism_report, str(run_id), spans, candidates)
        return DeterminismReport.of(report)
