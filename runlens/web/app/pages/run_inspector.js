// The operation inspector: everything about one action, beside the list; Esc closes it.
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.js";
import { formatCost, formatDuration, formatExact, formatTokens } from "../format.js";
import { KindIcon, OutcomeBadge } from "../components/status.js";
import { JsonView } from "../components/json.js";
import { CopyButton } from "../components/copy.js";
import { Markdown } from "../components/markdown.js";

const COMPLIANCE = "runlens.compliance.";

export function Inspector({ event, onClose }) {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus({ preventScroll: true }), [event.spanId]);
  const attributes = event.attributes || {};
  const compliance = Object.entries(attributes).filter(([k]) => k.startsWith(COMPLIANCE));
  return html`<aside class="inspector" aria-label="Operation inspector" tabindex="-1" ref=${ref}>
    <header>
      <${KindIcon} kind=${event.kind} />
      <h2>${event.name}</h2>
      <${OutcomeBadge} outcome=${event.outcome} />
      <span class="spacer"></span>
      <button type="button" class="icon" aria-label="Close the inspector (Esc)" title="Close (Esc)" onClick=${onClose}>✕</button>
    </header>
    ${event.error ? html`<section class="error-detail" aria-label="Error">
      <h3>Error · ${event.error.type}</h3>
      <p>${event.error.message}</p>
      <p class="muted small">${event.error.rawType}: ${event.error.rawMessage}</p>
      <p><strong>What to try:</strong> ${event.error.remediation}</p>
    </section>` : null}
    <section aria-label="Metadata">
      <h3>Metadata</h3>
      <dl class="meta">
        <dt>Event id</dt><dd class="mono">${event.id} <${CopyButton} text=${event.id} label="Copy event id" /></dd>
        <dt>Span id</dt><dd class="mono">${event.spanId}</dd>
        ${event.parentId ? html`<dt>Parent</dt><dd class="mono">${event.parentId}</dd>` : null}
        <dt>Step</dt><dd>${event.sequence}</dd>
        <dt>Started</dt><dd>${formatExact(event.startedAt)}</dd>
        <dt>Ended</dt><dd>${event.endedAt ? formatExact(event.endedAt) : "running"}</dd>
        <dt>Duration</dt><dd>${formatDuration(event.durationMs)}</dd>
        <dt>Cost</dt><dd>${event.costUsd === null ? "not priced" : formatCost(event.costUsd)}</dd>
        ${event.model ? html`<dt>Model</dt><dd>${event.provider ? `${event.provider} · ` : ""}${event.model}</dd>` : null}
        ${event.tokens ? html`<dt>Tokens</dt><dd>in ${formatTokens(event.tokens.input)} · out ${formatTokens(event.tokens.output)}</dd>` : null}
        ${event.toolName ? html`<dt>Tool</dt><dd>${event.toolName}${event.callId ? html` <span class="muted mono">${event.callId}</span>` : null}</dd>` : null}
        ${event.redactions ? html`<dt>Redacted</dt><dd><mark class="redacted">${event.redactions} × ${event.redactedKinds.join(", ")}</mark></dd>` : null}
      </dl>
    </section>
    ${compliance.length ? html`<section aria-label="Compliance">
      <h3>Compliance</h3>
      <dl class="meta">${compliance.map(([k, v]) => html`<dt>${k.slice(COMPLIANCE.length)}</dt><dd>${v}</dd>`)}</dl>
    </section>` : null}
    ${event.response ? html`<section aria-label="Response"><h3>Response</h3><${Markdown} text=${event.response} /></section>` : null}
    <section aria-label="Input"><h3>Input</h3>
      <${JsonView} value=${event.input} binary=${event.binary} label="input" filename=${`${event.spanId}-input.json`} /></section>
    <section aria-label="Output"><h3>Output</h3>
      <${JsonView} value=${event.output} binary=${event.binary} label="output" filename=${`${event.spanId}-output.json`} /></section>
    <section aria-label="Attributes"><h3>Attributes</h3>
      <${JsonView} value=${attributes} label="attributes" filename=${`${event.spanId}-attributes.json`} /></section>
  </aside>`;
}
