// The Determinism tab: score 0-100 in its band's colour, the issues, and the fixes.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { query } from "../client.js";
import { Loading, ErrorState } from "../components/states.js";

const REPORT = `query Determinism($id: ID!) { determinismReport(runId: $id) {
  score band replaysCompared repeatedRunsCompared
  issues { spanId actionName type severity evidenceSource description evidence
    code { filepath function lineno } recommendation { text before after } }
} }`;
const BAND = {
  HIGHLY_DETERMINISTIC: { label: "Highly deterministic", tone: "green" },
  MODERATE: { label: "Moderately deterministic", tone: "yellow" },
  LOW: { label: "Low determinism", tone: "orange" },
  HIGHLY_NON_DETERMINISTIC: { label: "Highly non-deterministic", tone: "red" },
};

export function Determinism({ run }) {
  const [state, setState] = useState({ report: null, error: null });
  const [reload, setReload] = useState(0);
  useEffect(() => {
    query(REPORT, { id: run.id })
      .then((d) => setState({ report: d.determinismReport, error: null }))
      .catch((error) => setState({ report: null, error }));
  }, [run.id, reload]);
  if (state.error) return html`<${ErrorState} error=${state.error} retry=${() => setReload((n) => n + 1)} />`;
  const r = state.report;
  if (!r) return html`<${Loading} label="Analysing…" />`;
  const band = BAND[r.band];
  return html`<div class="determinism">
    <div class="score-row">
      <div class=${`score band-${band.tone}`} role="img" aria-label=${`Determinism score ${r.score} of 100, ${band.label}`}>
        <strong>${r.score}</strong><span>/100</span></div>
      <div><h2>${band.label}</h2>
        <p class="muted small">${r.issues.length} ${r.issues.length === 1 ? "issue" : "issues"} ·
          compared with ${r.replaysCompared.length} replays and ${r.repeatedRunsCompared.length} repeated runs</p></div>
    </div>
    ${r.issues.length ? html`<table class="grid plain issues" aria-label="Issues">
      <thead><tr><th>Action</th><th>Type</th><th>Severity</th><th>Description</th><th>Line</th></tr></thead>
      <tbody>${r.issues.map((i) => html`<tr>
        <td>${i.actionName}</td><td>${i.type.toLowerCase().replaceAll("_", " ")}</td>
        <td><span class=${`badge sev-${i.severity.toLowerCase()}`}>${i.severity.toLowerCase()}</span></td>
        <td class="wrap">${i.description}<div class="muted small">${i.evidence}</div></td>
        <td class="mono small">${i.code ? `${i.code.filepath}:${i.code.lineno}` : "—"}</td></tr>`)}
      </tbody></table>
      <h3>Recommendations</h3>
      ${fixes(r.issues).map(({ rec, actions }) => html`<div class="recommendation">
        <p><strong>${actions.join(", ")}</strong> · ${rec.text}</p>
        <div class="before-after">
          <figure><figcaption>Before</figcaption><pre class="raw"><code>${rec.before}</code></pre></figure>
          <figure><figcaption>After</figcaption><pre class="raw"><code>${rec.after}</code></pre></figure>
        </div></div>`)}`
      : html`<p>No source of non-determinism found in this run.</p>`}
  </div>`;
}

/** One entry per distinct recommendation, with the actions it applies to. */
function fixes(issues) {
  const byFix = new Map();
  for (const issue of issues) {
    const rec = issue.recommendation;
    const key = `${rec.text}\u0000${rec.before}\u0000${rec.after}`;
    if (!byFix.has(key)) byFix.set(key, { rec, actions: [] });
    const entry = byFix.get(key);
    if (!entry.actions.includes(issue.actionName)) entry.actions.push(issue.actionName);
  }
  return [...byFix.values()];
}
