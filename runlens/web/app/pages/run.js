// Run details: header with the run's figures, tabs Telemetry · Simulation · Determinism (in the
// URL as ?tab=), and, while the run is running, live updates with a progress indicator and a
// notice when it ends.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { here, navigate, withQuery, Link } from "../router.js";
import { query, subscribe, onReconnect } from "../client.js";
import { RUN_FIELDS } from "../fragments.js";
import { useShortcuts } from "../keys.js";
import { formatPercent, formatTokens, shortId } from "../format.js";
import { StatusBadge } from "../components/status.js";
import { CopyButton } from "../components/copy.js";
import { Loading, ErrorState } from "../components/states.js";
import { Cost, RunDuration, When } from "./run_row.js";
import { Telemetry } from "./run_telemetry.js";
import { Simulation } from "./run_simulation.js";
import { Determinism } from "./run_determinism.js";
import { neighbour } from "./neighbours.js";

export const EXPECTED_STEPS = "runlens.run.expected_steps";
const RUN = `query Run($id: ID!) {
  run(id: $id) { ${RUN_FIELDS}
    root: events(kinds: [AGENT], first: 1) { edges { node { attributes } } }
  }
}`;
const UPDATES = `subscription RunUpdates($filter: RunFilter) {
  runUpdates(filter: $filter) { type run { ${RUN_FIELDS} } }
}`;
const TABS = [
  { id: "telemetry", label: "Telemetry", key: "t" },
  { id: "simulation", label: "Simulation", key: "s" },
  { id: "determinism", label: "Determinism", key: "d" },
];

export function RunPage({ params }) {
  const id = params.id;
  const tab = TABS.some((t) => t.id === here.value.query.get("tab")) ? here.value.query.get("tab") : "telemetry";
  const [state, setState] = useState({ run: null, expected: null, error: null });
  const [notice, setNotice] = useState(null);
  const [reload, setReload] = useState(0);
  const simulate = useRef(null); // the Simulation tab's simulateReplay, while it is shown

  useEffect(() => {
    const abort = new AbortController();
    query(RUN, { id }, { signal: abort.signal })
      .then((data) => {
        const attributes = data.run.root.edges[0]?.node.attributes || {};
        const expected = Number.parseInt(attributes[EXPECTED_STEPS] || "", 10);
        setState({ run: data.run, expected: expected > 0 ? expected : null, error: null });
      })
      .catch((error) => error.name !== "AbortError" && setState({ run: null, expected: null, error }));
    return () => abort.abort();
  }, [id, reload]);

  const running = state.run?.status === "RUNNING";
  useEffect(() => {
    if (!running) return undefined;
    const stop = subscribe(UPDATES, { filter: { search: id } }, {
      next: ({ runUpdates: { type, run } }) => {
        if (run.id !== id) return;
        setState((s) => ({ ...s, run: { ...s.run, ...run } }));
        if (type === "COMPLETED") setNotice({ tone: "ok", text: "The run completed." });
        if (type === "FAILED") setNotice({ tone: "bad", text: `The run failed${run.error ? `: ${run.error.message}` : "."}` });
        if (type === "TERMINATED") setNotice({ tone: "muted", text: "The run was terminated." });
      },
    });
    const again = onReconnect(() => setReload((n) => n + 1));
    return () => {
      stop();
      again();
    };
  }, [id, running]);

  const setTab = (next) => navigate(withQuery({ tab: next === "telemetry" ? null : next }), { replace: true });
  const go = (step) => {
    const next = neighbour(id, step);
    if (next) navigate(`/runs/${encodeURIComponent(next)}${tab === "telemetry" ? "" : `?tab=${tab}`}`);
  };
  useShortcuts([
    { key: "[", description: "previous run in the list", handler: () => go(-1) },
    { key: "]", description: "next run in the list", handler: () => go(1) },
    ...TABS.map((t) => ({ key: t.key, description: `${t.label} tab`, handler: () => setTab(t.id) })),
    {
      key: "r",
      description: "simulate a replay",
      handler: () => {
        setTab("simulation");
        if (simulate.current) simulate.current();
        else simulate.pending = true; // the tab runs it once it is there
      },
    },
  ]);

  if (state.error) {
    const unknown = state.error.code === "NOT_FOUND";
    return html`<${ErrorState} error=${state.error} title=${unknown ? "Unknown run" : null}
      retry=${unknown ? null : () => setReload((n) => n + 1)} />
      <p><${Link} href="/runs">Back to the runs<//></p>`;
  }
  // The actions load beside the run (not after it): the tab needs only the id until the
  // run's status is known.
  const run = state.run || { id, status: null };
  return html`<article class="run-page" aria-labelledby="run-title">
    ${state.run ? html`<${RunHeader} run=${run} expected=${state.expected} />` : html`<${Loading} label="Loading the run…" />`}
    ${notice ? html`<p class=${`notice tone-${notice.tone}`} role=${notice.tone === "bad" ? "alert" : "status"}>
      ${notice.text} <button type="button" class="link small" onClick=${() => setNotice(null)}>dismiss</button></p>` : null}
    <div role="tablist" aria-label="Run details" class="tabs">
      ${TABS.map((t) => html`<button type="button" role="tab" id=${`tab-${t.id}`} aria-selected=${tab === t.id}
        aria-controls=${`panel-${t.id}`} tabindex=${tab === t.id ? 0 : -1} onClick=${() => setTab(t.id)}>
        ${t.label} <kbd aria-hidden="true">${t.key}</kbd></button>`)}
    </div>
    <section role="tabpanel" id=${`panel-${tab}`} aria-labelledby=${`tab-${tab}`}>
      ${tab === "telemetry" ? html`<${Telemetry} run=${run} />` : null}
      ${tab === "simulation" && state.run ? html`<${Simulation} run=${run} simulate=${simulate} />` : null}
      ${tab === "determinism" && state.run ? html`<${Determinism} run=${run} />` : null}
    </section>
  </article>`;
}

function RunHeader({ run, expected }) {
  const runUrl = `/runs/${encodeURIComponent(run.id)}`;
  return html`<header class="run-header">
    <p class="crumbs"><${Link} href="/runs">Runs<//> › <span class="mono">${shortId(run.id)}</span></p>
    <div class="run-title">
      <${StatusBadge} status=${run.status} reason=${run.statusReason} />
      <h1 id="run-title">${run.agent.name} <span class="muted mono small">${run.id}</span></h1>
      <${CopyButton} text=${run.id} label="Copy run id" />
      <span class="spacer"></span>
      <${Link} href=${`${runUrl}/timeline`} class="button">Timeline<//>
      <${Link} href=${`${runUrl}/live`} class="button">Live<//>
    </div>
    <dl class="stats">
      <div><dt>Duration</dt><dd><${RunDuration} run=${run} /></dd></div>
      <div><dt>Cost</dt><dd><${Cost} usd=${run.costUsd} complete=${run.costComplete} unpriced=${run.unpricedActions} /></dd></div>
      <div><dt>Tokens</dt><dd title=${`in ${formatTokens(run.tokens.input)} (cached ${formatTokens(run.tokens.cached)}) · out ${formatTokens(run.tokens.output)}`}>${formatTokens(run.tokens.total)}</dd></div>
      <div><dt>Actions</dt><dd>${run.actionCount}</dd></div>
      <div><dt>Success</dt><dd>${formatPercent(run.successRate)}</dd></div>
      <div><dt>Models</dt><dd>${run.models.join(", ") || "—"}</dd></div>
      <div><dt>Started</dt><dd><${When} iso=${run.startedAt} /></dd></div>
    </dl>
    ${run.status === "RUNNING" ? html`<${Progress} done=${run.actionCount} expected=${expected} />` : null}
    ${run.error ? html`<div class="run-error" role="note">
      <strong>${run.error.type}</strong> ${run.error.message}
      <p class="muted">${run.error.remediation}</p></div>` : null}
  </header>`;
}

function Progress({ done, expected }) {
  if (!expected) {
    return html`<div class="progress indeterminate" role="progressbar" aria-label="Run in progress" aria-busy="true"><span></span></div>`;
  }
  const pct = Math.min(100, Math.round((done / expected) * 100));
  return html`<div class="progress-row">
    <div class="progress" role="progressbar" aria-label="Run progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
      <span ref=${(el) => el && (el.style.width = `${pct}%`)}></span>
    </div>
    <span class="small muted">${pct}% · ${done} of ${expected} steps</span>
  </div>`;
}
