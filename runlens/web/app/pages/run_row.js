// One row of the registry.
import { html } from "../html.js";
import { Link, navigate } from "../router.js";
import { now } from "../clock.js";
import { StatusBadge } from "../components/status.js";
import { CopyButton } from "../components/copy.js";
import { formatCost, formatDuration, formatExact, formatPercent, formatRelative, shortId, toMillis } from "../format.js";

export function Cost({ usd, complete, unpriced }) {
  const partial = complete === false;
  return html`<span class=${partial ? "partial" : ""} title=${partial ? `${unpriced} call(s) without a price: the cost is at least this` : null}>
    ${formatCost(usd)}${partial ? html`<sup aria-label="unpriced calls">*</sup>` : null}
  </span>`;
}

/** The run's duration, ticking while it runs. */
export function RunDuration({ run }) {
  if (run.status === "RUNNING") {
    const started = toMillis(run.startedAt);
    return html`<span class="ticking">${started ? formatDuration(now.value - started) : "—"}<span aria-hidden="true">↑</span></span>`;
  }
  return formatDuration(run.durationMs);
}

export function When({ iso }) {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime=${iso} title=${formatExact(iso)}>${formatRelative(iso, now.value)}</time>`;
}

export function RunRow({ run }) {
  const href = `/runs/${encodeURIComponent(run.id)}`;
  const open = (event) => {
    if (event.target.closest("a, button")) return;
    navigate(href);
  };
  return html`<tr data-run=${run.id} tabindex="0" class=${`status-${run.status.toLowerCase()}`} onClick=${open}
    onKeyDown=${(e) => e.key === "Enter" && e.currentTarget === e.target && navigate(href)}>
    <td><${StatusBadge} status=${run.status} reason=${run.statusReason || run.error?.message} /></td>
    <td class="mono"><${Link} href=${href} title=${run.id}>${shortId(run.id)}<//>
      <${CopyButton} text=${run.id} label=${`Copy run id ${run.id}`} /></td>
    <td><${Link} href=${`/runs?agent=${encodeURIComponent(run.agent.id)}`} title=${`Runs of ${run.agent.name}`}>${run.agent.name}<//></td>
    <td class="clip" title=${run.name}>${run.name}</td>
    <td class="num"><${RunDuration} run=${run} /></td>
    <td class="num">${run.actionCount}</td>
    <td class="num"><${Cost} usd=${run.costUsd} complete=${run.costComplete} unpriced=${run.unpricedActions} /></td>
    <td class="num">${formatPercent(run.successRate)}</td>
    <td><${When} iso=${run.startedAt} /></td>
    <td>${run.status === "RUNNING"
      ? html`<${Link} href=${`${href}/live`} title=${`Watch run ${run.id} live`}>watch live<//>`
      : html`<${When} iso=${run.endedAt} />`}</td>
  </tr>`;
}
