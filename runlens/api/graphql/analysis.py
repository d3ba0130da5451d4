# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(description=...) is typed as returning Any)
"""Queries over recorded runs: `compareRuns`, `simulateReplay`, `determinismReport`.

Each reads the runs' spans through the context's reader and hands them to the pure functions
of `runlens.analysis`. `determinismReport` also reads the agent's most recent ended runs
(`EVIDENCE_RUNS` of them): its replays of the run and its runs with an equal input are
evidence.
"""

from __future__ import annotations

import asyncio
from functools import cache

import strawberry

from runlens.analysis.determinism.report import determinism_report
from runlens.analysis.replay.compare import compare
from runlens.analysis.replay.simulate import simulate
from runlens.api.graphql.context import Context
from runlens.api.graphql.errors import not_found
from runlens.api.graphql.loaders import off_loop
from runlens.api.graphql.types.determinism import DeterminismReport
from runlens.api.graphql.types.replay import ReplaySimulation, RunComparison
from runlens.semconv.pricing import PriceTable
from runlens.semconv.records import SpanRecord
from runlens.storage.contract import RunQuery, RunStatus, RunSummary

Info = strawberry.Info[Context, None]

EVIDENCE_RUNS = 20
"""How many of the agent's most recent ended runs `determinismReport` compares with."""
_ENDED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.TERMINATED)


@cache
def _bundled_prices() -> PriceTable:
    return PriceTable.load()


async def _summary(info: Info, run_id: str) -> RunSummary:
    summary = await info.context.loaders.summaries.load(run_id)
    if summary is None:
        raise not_found(f"no run with id {run_id!r} in this project")
    return summary


async def _spans(info: Info, run_id: str) -> list[SpanRecord]:
    ctx = info.context
    return await off_loop(ctx.reader.run_spans, ctx.project_id, run_id)


async def _candidates(info: Info, summary: RunSummary) -> dict[str, list[SpanRecord]]:
    ctx = info.context
    query = RunQuery(
        project_id=ctx.project_id,
        limit=EVIDENCE_RUNS + 1,
        statuses=_ENDED,
        agent_id=summary.agent_id,
    )
    others = [s.run_id for s in await off_loop(ctx.reader.runs_page, query)]
    others = [run_id for run_id in others if run_id != summary.run_id][:EVIDENCE_RUNS]
    if not others:
        return {}
    timelines = await off_loop(ctx.reader.run_timelines, ctx.project_id, others)
    return {run_id: list(t.spans) for run_id, t in timelines.items()}


@strawberry.type
class AnalysisQuery:
    @strawberry.field(
        description="A replay compared with its original run: aligned actions, divergences, "
        "match rate and both costs at one price version. NOT_FOUND when either run is unknown."
    )
    async def compare_runs(
        self, info: Info, original_id: strawberry.ID, replay_id: strawberry.ID
    ) -> RunComparison:
        await asyncio.gather(_summary(info, str(original_id)), _summary(info, str(replay_id)))
        original, replay = await asyncio.gather(
            _spans(info, str(original_id)), _spans(info, str(replay_id))
        )
        prices = info.context.options.prices or _bundled_prices()
        comparison = await asyncio.to_thread(compare, original, replay, prices)
        return RunComparison.of(str(original_id), str(replay_id), comparison)

    @strawberry.field(
        description="What a replay of the run would serve from the recording, re-execute and "
        "cost, without running anything. NOT_FOUND when the run is unknown."
    )
    async def simulate_replay(self, info: Info, run_id: strawberry.ID) -> ReplaySimulation:
        summary = await _summary(info, str(run_id))
        spans = await _spans(info, str(run_id))
        running = summary.status is RunStatus.RUNNING
        return ReplaySimulation.of(str(run_id), simulate(spans, running))

    @strawberry.field(
        description="How deterministic the run is: issues with evidence and fixes, and a "
        "score 0-100. NOT_FOUND when the run is unknown."
    )
    async def determinism_report(self, info: Info, run_id: strawberry.ID) -> DeterminismReport:
        summary = await _summary(info, str(run_id))
        spans, candidates = await asyncio.gather(
            _spans(info, str(run_id)), _candidates(info, summary)
        )
        report = await asyncio.to_thread(determinism_report, str(run_id), spans, candidates)
        return DeterminismReport.of(report)
