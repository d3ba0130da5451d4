// The Live Run Viewer (/runs/:id/live): what the run works on, live metrics, the connection,
// one chronological stream (model text growing in place, a tool's stdout inside its entry),
// error recovery with Retrigger and Retry stream, the steer bar while it runs, notifications.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { navigate, Link } from "../router.js";
import { connection } from "../client.js";
import { now } from "../clock.js";
import { StatusBadge } from "../components/status.js";
import { Loading, ErrorState } from "../components/states.js";
import { formatCost, formatDuration, formatExact, formatTokens, toMillis } from "../format.js";
import { useRunFeed } from "./run_feed.js";
import { useRun } from "./timeline.js";
import { RetriggerButton, SteerBar, TerminateButton } from "./run_control.js";
import { LiveStream, firstUserText } from "./live_stream.js";
import { Notify } from "./live_notify.js";

export function LivePage({ params }) {
  const feed = useRunFeed(params.id, { content: true });
  const [stamp, setStamp] = useState(0);
  const { run, error, waiting } = useRun(params.id, `${stamp}:${feed.state}`);
  if (error && !run) return html`<${ErrorState} error=${error} retry=${() => setStamp(stamp + 1)} />`;
  if (!run) return html`<${Loading} label=${waiting ? "Waiting for the run to show up…" : "Loading the run…"} />`;
  const events = feed.list();
  const root = events.find((e) => e.kind === "AGENT" && !e.parentId) || events.find((e) => !e.parentId);
  const finished = feed.state === "finished" || (run.status !== "RUNNING" && feed.state !== "live" && feed.state !== "connecting");
  const status = finished ? run.status : "RUNNING";
  const task = firstUserText(events) || root?.name || run.name;
  const close = () => (history.length > 1 ? history.back() : navigate(`/runs/${run.id}`));
  return html`<div class="live">
    <header class="live-head">
      <div class="live-title">
        <h1 title=${task}>${task.length > 140 ? `${task.slice(0, 140)}…` : task}</h1>
        <div class="live-sub">
          <${StatusBadge} status=${status} reason=${run.statusReason} />
          <span>${run.agent?.name}</span>
          <time class="muted" title="started">${formatExact(run.startedAt).slice(0, 19)}</time>
          <${Link} href=${`/runs/${run.id}/timeline`}>Timeline<//>
          <${ConnectionPill} feed=${feed} version=${feed.version} />
        </div>
      </div>
      <span class="spacer"></span>
      <${Notify} status=${status} finished=${finished} task=${task} />
      ${!finished ? html`<${TerminateButton} runId=${run.id} active=${true} onApplied=${() => setStamp(stamp + 1)} />` : null}
      <button type="button" class="icon" aria-label="Close" title="Close" onClick=${close}>✕</button>
    </header>
    <${Metrics} run=${run} feed=${feed} version=${feed.version} finished=${finished} />
    ${feed.state === "error" ? html`<div class="error-box" role="alert">The stream stopped: ${feed.error?.message}
      <button type="button" onClick=${() => feed.start()}>Retry stream</button></div>` : null}
    <${LiveStream} feed=${feed} version=${feed.version} run=${run} finished=${finished} />
    ${finished && run.status === "FAILED" ? html`<${Recovery} run=${run} feed=${feed} version=${feed.version} />` : null}
    ${finished && run.status !== "FAILED" ? html`<div class="live-end muted">The run has ended. <${RetriggerButton} runId=${run.id}
      onNewRun=${(id) => navigate(`/runs/${id}/live`)} /></div>` : null}
    ${!finished ? html`<div class="steer-dock"><${SteerBar} runId=${run.id} /></div>` : null}
  </div>`;
}

function ConnectionPill({ feed }) {
  const socket = connection.value;
  let spec;
  if (feed.state === "finished") spec = { tone: "muted", label: "Finished", state: "finished" };
  else if (socket === "reconnecting" || feed.state === "error") spec = { tone: "warn", label: "Reconnecting…", state: "reconnecting" };
  else if (feed.state === "live") spec = { tone: "ok", label: "Connected", state: "connected" };
  else spec = { tone: "muted", label: "Connecting…", state: "connecting" };
  return html`<span class=${`pill live-pill tone-${spec.tone}`} role="status" aria-live="polite" data-state=${spec.state}>
    <span class="badge-icon" aria-hidden="true">●</span>${spec.label}</span>`;
}

function Metrics({ run, feed, finished }) {
  const tokens = feed.tokens || run.tokens;
  const start = toMillis(run.startedAt);
  const elapsed = finished && run.durationMs !== null ? run.durationMs : start ? Math.max(now.value - start, 0) : null;
  const turns = feed.list().filter((e) => e.kind === "LLM_CALL").length;
  const cost = feed.tokens ? feed.costUsd : run.costUsd;
  const cell = (name, value, key) => html`<div class="metric" data-metric=${key}><span class="muted small">${name}</span><strong class="num">${value}</strong></div>`;
  return html`<div class="metrics" aria-label="Metrics">
    ${cell("Elapsed", formatDuration(elapsed), "elapsed")}
    ${cell("Input tokens", formatTokens(tokens.input), "input")}
    ${cell("Output tokens", formatTokens(tokens.output), "output")}
    ${cell("Total tokens", formatTokens(tokens.total), "total")}
    ${cell("Cost so far", formatCost(cost), "cost")}
    ${cell("Turns", formatTokens(Math.max(turns, run.turns)), "turns")}
  </div>`;
}

function Recovery({ run, feed }) {
  const error = run.error || {};
  return html`<section class="recovery" aria-label="Error recovery">
    <h2><span aria-hidden="true">✕ </span>The run failed${error.type ? html` · <code>${error.type}</code>` : null}</h2>
    <p class="error-message">${error.message || run.statusReason || "No reason was recorded."}</p>
    ${error.remediation ? html`<p><strong>What to do:</strong> ${error.remediation}</p>` : null}
    <div class="recovery-actions">
      <${RetriggerButton} runId=${run.id} disabled=${run.status === "RUNNING"} onNewRun=${(id) => navigate(`/runs/${id}/live`)} />
      <button type="button" onClick=${() => feed.start()}>Retry stream</button>
    </div>
  </section>`;
}
