// The Simulation tab: what a replay would serve from the recording and cost (simulateReplay),
// the comparison with each replay the run already has (compareRuns), and the replay command.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { query } from "../client.js";
import { formatCost, formatPercent } from "../format.js";
import { CopyButton } from "../components/copy.js";
import { Loading, ErrorState } from "../components/states.js";

const SIMULATE = `query Simulate($id: ID!) { simulateReplay(runId: $id) {
  available unavailableReason message servedCount reexecutedCount originalCostUsd replayCostUsd savingsUsd
  actions { served reason replayCostUsd action { spanId name kind sequence costUsd } }
} }`;
const REPLAYS = `query Replays($id: ID!) { determinismReport(runId: $id) { replaysCompared } }`;
const COMPARE = `query Compare($original: ID!, $replay: ID!) { compareRuns(originalId: $original, replayId: $replay) {
  divergenceCount matchRate originalCostUsd replayCostUsd savingsUsd priceVersion repriced costNote
  actions { step verdict key { name } original { name costUsd } replay { name costUsd } diff { path original replay } }
} }`;
const WHY = {
  RUN_RUNNING: "The run is still running: a replay needs its recording complete.",
  OUTPUTS_NOT_STORED: "The run's outputs were not stored, so nothing can be served from the recording.",
  RUN_NOT_FOUND: "The run is unknown.",
};
const REASON = {
  SERVED: "served from the recording",
  POLICY_ALWAYS: "re-executed: replay policy always",
  POLICY_NEVER: "re-executed: side-effecting (policy never)",
  MISSING_INPUT: "re-executed: input not recorded",
  MISSING_OUTPUT: "re-executed: output not recorded",
  TRUNCATED: "re-executed: recording truncated",
};

export function Simulation({ run, simulate }) {
  const [result, setResult] = useState({ data: null, error: null, loading: false });
  const go = () => {
    setResult({ data: null, error: null, loading: true });
    query(SIMULATE, { id: run.id })
      .then((data) => setResult({ data: data.simulateReplay, error: null, loading: false }))
      .catch((error) => setResult({ data: null, error, loading: false }));
  };
  useEffect(() => {
    simulate.current = go;
    if (simulate.pending) {
      simulate.pending = false;
      go();
    }
    return () => {
      simulate.current = null;
    };
  });
  const command = `runlens replay ${run.id} -- <your agent command>`;
  const sim = result.data;
  return html`<div class="simulation">
    <p class="toolbar">
      <button type="button" class="primary" onClick=${go} disabled=${result.loading}>Simulate replay <kbd aria-hidden="true">r</kbd></button>
      <span class="muted small">Nothing runs: this reads the recording and prices what a replay would re-execute.</span>
    </p>
    ${result.loading ? html`<${Loading} label="Simulating…" />` : null}
    ${result.error ? html`<${ErrorState} error=${result.error} retry=${go} />` : null}
    ${sim && !sim.available ? html`<div class="state" role="status"><h2>Replay not available</h2>
      <p>${WHY[sim.unavailableReason] || ""} ${sim.message || ""}</p></div>` : null}
    ${sim && sim.available ? html`<section aria-label="Replay simulation">
      <dl class="stats">
        <div><dt>Served from recording</dt><dd>${sim.servedCount}</dd></div>
        <div><dt>Re-executed</dt><dd>${sim.reexecutedCount}</dd></div>
        <div><dt>Original cost</dt><dd>${formatCost(sim.originalCostUsd)}</dd></div>
        <div><dt>Replay cost</dt><dd>${formatCost(sim.replayCostUsd)}</dd></div>
        <div><dt>Savings</dt><dd class="good">${formatCost(sim.savingsUsd)}</dd></div>
      </dl>
      ${sim.message ? html`<p class="muted">${sim.message}</p>` : null}
      <table class="grid plain" aria-label="Simulated actions">
        <thead><tr><th>#</th><th>Action</th><th>Replay</th><th class="num">Original</th><th class="num">Replay cost</th></tr></thead>
        <tbody>${sim.actions.map((a) => html`<tr>
          <td class="muted">${a.action.sequence + 1}</td><td>${a.action.name}</td>
          <td><span class=${`badge ${a.served ? "tone-ok" : "tone-warn"}`}><span aria-hidden="true">${a.served ? "↺" : "▶"}</span>${REASON[a.reason] || a.reason}</span></td>
          <td class="num">${formatCost(a.action.costUsd)}</td><td class="num">${formatCost(a.replayCostUsd)}</td></tr>`)}
        </tbody>
      </table>
    </section>` : null}
    <section aria-label="Replay command" class="command">
      <h3>Replay it</h3>
      <p class="muted small">Run your agent as a replay of this run; runlens serves what it can from the recording and compares.</p>
      <pre class="raw"><code>${command}</code></pre>
      <${CopyButton} text=${command} label="Copy the replay command">Copy command<//>
    </section>
    <${Replays} run=${run} />
  </div>`;
}

function Replays({ run }) {
  const [replays, setReplays] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [comparison, setComparison] = useState({ data: null, error: null });
  useEffect(() => {
    query(REPLAYS, { id: run.id })
      .then((d) => {
        setReplays(d.determinismReport.replaysCompared);
        setChosen(d.determinismReport.replaysCompared[0] || null);
      })
      .catch(() => setReplays([]));
  }, [run.id]);
  useEffect(() => {
    if (!chosen) return;
    setComparison({ data: null, error: null });
    query(COMPARE, { original: run.id, replay: chosen })
      .then((d) => setComparison({ data: d.compareRuns, error: null }))
      .catch((error) => setComparison({ data: null, error }));
  }, [chosen]);
  if (!replays || !replays.length) return null;
  const c = comparison.data;
  return html`<section aria-label="Replays" class="replays">
    <h3>Replays of this run</h3>
    <label class="field">Replay <select value=${chosen} onChange=${(e) => setChosen(e.currentTarget.value)}>
      ${replays.map((id) => html`<option value=${id}>${id}</option>`)}</select></label>
    ${comparison.error ? html`<${ErrorState} error=${comparison.error} />` : null}
    ${c ? html`<dl class="stats">
        <div><dt>Original cost</dt><dd>${formatCost(c.originalCostUsd)}</dd></div>
        <div><dt>Replay cost</dt><dd>${formatCost(c.replayCostUsd)}</dd></div>
        <div><dt>Savings</dt><dd>${formatCost(c.savingsUsd)}</dd></div>
        <div><dt>Divergences</dt><dd>${c.divergenceCount}</dd></div>
        <div><dt>Match rate</dt><dd>${formatPercent(c.matchRate * 100)}</dd></div>
      </dl>
      ${c.costNote ? html`<p class="muted small">${c.costNote}</p>` : null}
      <table class="grid plain" aria-label="Comparison">
        <thead><tr><th>Step</th><th>Action</th><th>Original</th><th>Replay</th><th>Status</th></tr></thead>
        <tbody>${c.actions.map((a) => html`<tr class=${a.verdict === "MATCH" ? "" : "diverged"}>
          <td class="muted">${a.step}</td><td>${a.key.name}</td>
          <td>${a.original ? `${a.original.name} · ${formatCost(a.original.costUsd)}` : "—"}</td>
          <td>${a.replay ? `${a.replay.name} · ${formatCost(a.replay.costUsd)}` : "—"}</td>
          <td><span class=${`badge ${a.verdict === "MATCH" ? "tone-ok" : "tone-bad"}`}><span aria-hidden="true">${a.verdict === "MATCH" ? "=" : "≠"}</span>${a.verdict.toLowerCase().replaceAll("_", " ")}</span>
            ${a.diff.length ? html`<span class="muted small"> ${a.diff.map((d) => d.path).join(", ")}</span>` : null}</td>
        </tr>`)}</tbody>
      </table>` : html`<${Loading} label="Comparing…" />`}
  </section>`;
}
