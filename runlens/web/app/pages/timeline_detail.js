// The selected event of the Timeline, by type: Message, LLM Call (parameters, tokens, response,
// requested tool calls linked to their executions, context, raw response), Tool Execution
// (input, output, terminal output streaming from the feed), Summarization; raw data for all.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { apiKey, authHeaders, query, saveBlob } from "../client.js";
import { JsonView } from "../components/json.js";
import { CopyButton } from "../components/copy.js";
import { Markdown } from "../components/markdown.js";
import { Loading, ErrorState } from "../components/states.js";
import { formatBytes, formatCost, formatExact, formatTokens } from "../format.js";
import { EventStatus, eventDuration, eventLabel } from "./timeline_list.js";
import { ContextItems } from "./timeline_context.js";

const DETAIL = `query EventDetail($run: ID!, $id: ID!) { run(id: $run) { id event(id: $id) {
  id spanId parentId sequence kind name status outcome startedAt endedAt durationMs costUsd
  input output attributes redactions redactedKinds binary
  error { type message remediation rawType rawMessage }
  ... on Message { role content }
  ... on LlmCall { model provider temperature topP maxTokens stopReason contentCaptured counted response reasoning streamedText rawResponse
    tokens { input cached output reasoning total }
    toolCalls { id name arguments execution { id status } } }
  ... on ToolExecution { toolName callId requestedBy { id }
    terminalOutput { text stdout stderr exitCode bytes chunkCount truncated location { table spanId sql downloadUrl } } }
  ... on Summarization { summary itemsCollapsed tokensCollapsed }
} } }`;

function Collapsible({ title, children, open = false }) {
  return html`<details class="section" open=${open}><summary>${title}</summary><div class="section-body">${children}</div></details>`;
}

function Field({ name, children }) {
  return html`<div class="kv-item"><span class="muted">${name}</span><span>${children ?? "—"}</span></div>`;
}

export function EventDetail({ runId, event, feed, onOpen }) {
  const [state, setState] = useState({ detail: null, error: null });
  const stamp = `${event.id}:${event.status}:${event.endedAt}`;
  useEffect(() => {
    const abort = new AbortController();
    query(DETAIL, { run: runId, id: event.id }, { signal: abort.signal })
      .then((data) => setState({ detail: data.run?.event, error: null }))
      .catch((error) => error.name !== "AbortError" && setState({ detail: null, error }));
    return () => abort.abort();
  }, [stamp]);
  const detail = state.detail && state.detail.id === event.id ? { ...state.detail, status: event.status } : null;
  return html`<article class="event-detail" data-kind=${event.kind}>
    <header class="detail-head">
      <h2>${eventLabel(detail || event)}</h2>
      <${EventStatus} status=${event.status} />
      <span class="muted num">${eventDuration(event)}</span>
      <time class="muted small">${formatExact(event.startedAt)}</time>
      ${event.costUsd !== null && event.costUsd !== undefined ? html`<span class="num">${formatCost(event.costUsd)}</span>` : null}
    </header>
    ${state.error ? html`<${ErrorState} error=${state.error} />` : !detail ? html`<${Loading} />` : html`
      ${detail.error ? html`<div class="error-box" role="alert"><strong>${detail.error.type}</strong>: ${detail.error.message}
        ${detail.error.remediation ? html`<p class="muted">${detail.error.remediation}</p>` : null}</div>` : null}
      ${body(detail, feed, onOpen)}
      <${Collapsible} title="Raw data"><${JsonView} value=${detail.attributes} label="attributes" /><//>`}
  </article>`;
}

function body(detail, feed, onOpen) {
  if (detail.kind === "MESSAGE") return html`<${MessageDetail} detail=${detail} />`;
  if (detail.kind === "LLM_CALL") return html`<${LlmDetail} detail=${detail} feed=${feed} version=${feed.version} onOpen=${onOpen} />`;
  if (detail.kind === "TOOL_EXECUTION") return html`<${ToolDetail} detail=${detail} feed=${feed} version=${feed.version} onOpen=${onOpen} />`;
  if (detail.kind === "SUMMARIZATION") return html`<${SummaryDetail} detail=${detail} />`;
  return html`<h3>Input</h3><${JsonView} value=${detail.input} label="input" />
    <h3>Output</h3><${JsonView} value=${detail.output} label="output" />`;
}

function MessageDetail({ detail }) {
  return html`<div class="kv-grid"><${Field} name="role">${detail.role}<//><${Field} name="kind">${detail.kind.toLowerCase()}<//></div>
    <${Markdown} text=${detail.content} />
    <${Collapsible} title="Raw JSON"><${JsonView} value=${{ role: detail.role, content: detail.content, input: detail.input, output: detail.output }} /><//>`;
}

function LlmDetail({ detail, feed, onOpen }) {
  const t = detail.tokens;
  const live = feed.output.get(detail.id)?.model;
  const response = detail.response || live || detail.streamedText;
  const captured = detail.contentCaptured;
  return html`
    <div class="kv-grid">
      <${Field} name="model">${detail.model}<//><${Field} name="provider">${detail.provider}<//>
      <${Field} name="temperature">${detail.temperature}<//><${Field} name="top_p">${detail.topP}<//>
      <${Field} name="max tokens">${detail.maxTokens}<//><${Field} name="stop reason">${detail.stopReason}<//>
    </div>
    <div class="token-chips num">
      <span>in <strong>${formatTokens(t.input)}</strong> (cached ${formatTokens(t.cached)})</span>
      <span>out <strong>${formatTokens(t.output)}</strong></span>
      <span>reasoning <strong>${formatTokens(t.reasoning)}</strong></span>
    </div>
    ${captured ? null : html`<p class="note" role="note">The instrumentation captured no content for this call (prompts and responses were not recorded): turn on its content capture (docs/instrumentation.md lists the setting per library).</p>`}
    ${detail.counted ? null : html`<p class="note" role="note">Not counted in the run's totals: it wraps another LLM call, which is the one counted (stacked instrumentation).</p>`}
    ${detail.reasoning
      ? html`<h3>Thinking <span class="muted small">${t.reasoning ? `${formatTokens(t.reasoning)} reasoning tokens` : ""}</span></h3>
        <blockquote class="thinking-text" aria-label="Thinking">${detail.reasoning}</blockquote>`
      : null}
    <h3>Response ${detail.status === "RUNNING" && live ? html`<span class="muted small">streaming…</span>` : null}</h3>
    ${response ? html`<${Markdown} text=${response} />` : html`<p class="muted">No response text.</p>`}
    ${detail.toolCalls.length ? html`<h3>Tool calls</h3>
      <ul class="tool-calls">${detail.toolCalls.map((call) => html`<li key=${call.id}>
        <code>${call.name}(${argsText(call.arguments)})</code>
        ${call.execution
          ? html`<button type="button" class="link" onClick=${() => onOpen(call.execution.id)}>↗ open the execution</button>`
          : html`<span class="muted small">no execution recorded</span>`}
      </li>`)}</ul>` : null}
    <h3>Context</h3>
    <${ContextItems} runId=${feed.runId} eventId=${detail.id} />
    <${Collapsible} title="Raw response"><${JsonView} value=${detail.rawResponse ?? detail.output} label="raw response" /><//>`;
}

function argsText(args) {
  const text = typeof args === "string" ? args : JSON.stringify(args);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function ToolDetail({ detail, feed, onOpen }) {
  const stored = detail.terminalOutput;
  const live = feed.output.get(detail.id);
  const text = live && live.text.length >= (stored?.text.length || 0) ? live.text : stored?.text;
  return html`
    <div class="kv-grid">
      <${Field} name="tool">${detail.toolName}<//><${Field} name="call id"><code>${detail.callId}</code><//>
      <${Field} name="status"><${EventStatus} status=${detail.status} /><//>
      ${detail.requestedBy ? html`<${Field} name="requested by"><button type="button" class="link" onClick=${() => onOpen(detail.requestedBy.id)}>the LLM call ↗</button><//>` : null}
    </div>
    <h3>Input</h3><${JsonView} value=${detail.input} label="input" />
    <h3>Output</h3><${JsonView} value=${detail.output} label="output" />
    <h3>Terminal output ${detail.status === "RUNNING" && text ? html`<span class="muted small">streaming…</span>` : null}</h3>
    ${text !== undefined && text !== null
      ? html`<pre class="terminal" aria-label="Terminal output">${text}</pre>
        ${stored ? html`<${OutputFacts} output=${stored} />` : html`<p class="muted small">Streaming: the exit code, size and where the log is stored show when the tool ends.</p>`}`
      : html`<p class="muted">The tool sent no terminal output.</p>`}`;
}

function SummaryDetail({ detail }) {
  return html`<h3>Summary</h3>
    ${detail.summary ? html`<${Markdown} text=${detail.summary} />` : html`<p class="muted">No summary text.</p>`}
    <div class="kv-grid">
      <${Field} name="items collapsed">${detail.itemsCollapsed}<//>
      <${Field} name="tokens collapsed">${formatTokens(detail.tokensCollapsed)}<//>
    </div>`;
}

/** Exit code, size, chunks, and where the whole log is stored (its table, SQL, download). */
function OutputFacts({ output }) {
  const where = output.location;
  return html`<dl class="output-facts small" aria-label="Exit code, size and storage">
    <div><dt>exit code</dt><dd class=${`num ${output.exitCode ? "tone-bad" : ""}`}>${output.exitCode ?? "—"}</dd></div>
    <div><dt>size</dt><dd class="num">${formatBytes(output.bytes)}</dd></div>
    <div><dt>chunks</dt><dd class="num">${output.chunkCount}${output.truncated ? " (a chunk was truncated)" : ""}</dd></div>
    <div class="where"><dt>full log</dt><dd>
      stored in <code>${where.table}</code>, span <code>${where.spanId}</code>${" · "}<a href=${where.downloadUrl} download=${`${where.spanId}-output.txt`} onClick=${(e) => downloadWithKey(e, where)}>download the whole log</a>${" · "}<${CopyButton} text=${where.sql} label="Copy the SQL that reads the whole log">Copy SQL<//>
    </dd></div>
  </dl>`;
}

/** With an API key the link cannot carry it: fetch with the key, then save. */
async function downloadWithKey(event, where) {
  if (!apiKey.value) return; // the plain link works
  event.preventDefault();
  const response = await fetch(where.downloadUrl, { headers: authHeaders() });
  if (response.ok) saveBlob(await response.blob(), `${where.spanId}-output.txt`);
}
