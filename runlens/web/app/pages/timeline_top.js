// The Timeline's top bar: status, duration, start time, the token popover, Terminate.
import { html } from "../html.js";
import { Link } from "../router.js";
import { StatusBadge } from "../components/status.js";
import { formatCost, formatDuration, formatExact, formatTokens, shortId, toMillis } from "../format.js";
import { now } from "../clock.js";
import { TerminateButton } from "./run_control.js";

export function runDuration(run) {
  if (run.durationMs !== null && run.durationMs !== undefined) return formatDuration(run.durationMs);
  const start = toMillis(run.startedAt);
  return start ? formatDuration(Math.max(now.value - start, 0)) : "—";
}

/** input / cached / output / reasoning in a popover (a <details>, keyboard and Esc friendly). */
export function TokenPopover({ tokens }) {
  const t = tokens || { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };
  return html`<details class="popover tokens-popover">
    <summary>Tokens <strong class="num">${formatTokens(t.total)}</strong> ▾</summary>
    <table class="kv">
      <tr><th>Input</th><td class="num">${formatTokens(t.input)}</td></tr>
      <tr><th>Cached</th><td class="num">${formatTokens(t.cached)}</td></tr>
      <tr><th>Output</th><td class="num">${formatTokens(t.output)}</td></tr>
      <tr><th>Reasoning</th><td class="num">${formatTokens(t.reasoning)}</td></tr>
      <tr class="total"><th>Total</th><td class="num">${formatTokens(t.total)}</td></tr>
    </table>
  </details>`;
}

export function RunTopBar({ run, feed, onCommand }) {
  const running = run.status === "RUNNING" && feed.state !== "finished";
  return html`<div class="run-bar">
    <${StatusBadge} status=${running ? "RUNNING" : run.status} reason=${run.statusReason} />
    <span class="muted">${run.agent?.name}</span>
    <span title="duration" class="num">${runDuration(run)}</span>
    <time class="muted" title="started">${formatExact(run.startedAt).slice(0, 19)}</time>
    <${TokenPopover} tokens=${feed.tokens || run.tokens} />
    <span class="num" title="cost">${formatCost(feed.tokens ? feed.costUsd : run.costUsd)}</span>
    <span class="mono muted small" title=${run.id}>${shortId(run.id)}</span>
    <span class="spacer"></span>
    <${Link} href=${`/runs/${run.id}/live`}>Live view<//>
    <${TerminateButton} runId=${run.id} active=${running} onApplied=${onCommand} />
  </div>`;
}
