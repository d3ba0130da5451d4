// Control of a run from the UI: Terminate (with a confirmation), the steer bar and Retrigger.
// A command's life (requested → delivered → applied) is read back from `Run.commands` once a
// second until it settles.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { mutate, query } from "../client.js";

const COMMAND = "id seq kind state reason detail payload";
const SETTLED = new Set(["APPLIED", "FAILED", "EXPIRED", "REJECTED"]);
const COMMANDS = `query Commands($id: ID!) { run(id: $id) { id commands { ${COMMAND} } } }`;
const STEPS = ["REQUESTED", "DELIVERED", "APPLIED"];

/** The latest state of `command` (polled until it settles); `onSettled(command)` once. */
export function useCommand(runId, command, onSettled) {
  const [current, setCurrent] = useState(command);
  const settled = useRef(onSettled);
  settled.current = onSettled;
  useEffect(() => {
    setCurrent(command);
    if (!command) return undefined;
    if (SETTLED.has(command.state)) {
      settled.current?.(command);
      return undefined;
    }
    let timer = 0;
    let stopped = false;
    const poll = async () => {
      try {
        const data = await query(COMMANDS, { id: runId });
        const found = data.run?.commands.find((c) => c.id === command.id);
        if (stopped || !found) return;
        setCurrent(found);
        if (SETTLED.has(found.state)) {
          settled.current?.(found);
          return;
        }
      } catch {
        /* the server may be restarting: try again */
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    timer = setTimeout(poll, 500);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, command?.id]);
  return current;
}

/** requested → delivered → applied, with where the command is now. */
export function CommandLife({ command, label }) {
  if (!command) return null;
  const failed = ["FAILED", "EXPIRED", "REJECTED"].includes(command.state);
  const reached = failed ? STEPS.indexOf("DELIVERED") : STEPS.indexOf(command.state);
  return html`<div class="command-life" role="status" data-state=${command.state}>
    <span class="muted">${label}</span>
    ${STEPS.map(
      (step, i) => html`<span class=${`step ${i <= reached ? "done" : ""}`}>
        ${i > 0 ? html`<span class="arrow" aria-hidden="true">→</span>` : null}${step.toLowerCase()}
      </span>`,
    )}
    ${failed ? html`<span class="step bad">${command.state.toLowerCase()}${command.detail ? `: ${command.detail}` : ""}</span>` : null}
  </div>`;
}

/** Terminate while the run is active: confirm, send, then show the command's life. */
export function TerminateButton({ runId, active, onApplied }) {
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("");
  const [command, setCommand] = useState(null);
  const [error, setError] = useState(null);
  const life = useCommand(runId, command, (c) => c.state === "APPLIED" && onApplied?.(c));
  const send = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      const data = await mutate(
        `mutation Terminate($id: ID!, $reason: String) { terminateRun(id: $id, reason: $reason) { ${COMMAND} } }`,
        { id: runId, reason: reason.trim() || "terminated from the UI" },
      );
      setCommand(data.terminateRun);
      setConfirming(false);
    } catch (err) {
      setError(err);
    }
  };
  return html`<span class="terminate">
    ${active && !command
      ? html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>■ Terminate</button>`
      : null}
    ${life ? html`<${CommandLife} command=${life} label="Terminate:" />` : null}
    ${confirming
      ? html`<form class="confirm" role="dialog" aria-label="Terminate this run?" onSubmit=${send}>
          <strong>Terminate this run?</strong>
          <span class="muted small">The agent stops at its next safe point.</span>
          <input type="text" placeholder="reason (optional)" aria-label="Reason" value=${reason}
            onInput=${(e) => setReason(e.currentTarget.value)} />
          <button type="submit" class="danger">Terminate</button>
          <button type="button" onClick=${() => setConfirming(false)}>Cancel</button>
        </form>`
      : null}
    ${error ? html`<span class="error-message" role="alert">${error.message}</span>` : null}
  </span>`;
}

/** Text, mode and Send while the run is live; each message's life below it. */
export function SteerBar({ runId }) {
  const [text, setText] = useState("");
  const [mode, setMode] = useState("QUEUE");
  const [sent, setSent] = useState([]);
  const [error, setError] = useState(null);
  const send = async (event) => {
    event.preventDefault();
    if (!text.trim()) return;
    setError(null);
    try {
      const data = await mutate(
        `mutation Steer($id: ID!, $message: String!, $mode: SteerMode!) { steerRun(id: $id, message: $message, mode: $mode) { ${COMMAND} } }`,
        { id: runId, message: text.trim(), mode },
      );
      setSent([...sent.slice(-2), { command: data.steerRun, text: text.trim() }]);
      setText("");
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="steer-bar" onSubmit=${send} aria-label="Steer the agent">
    ${sent.map((s) => html`<${SteerLife} key=${s.command.id} runId=${runId} command=${s.command} text=${s.text} />`)}
    <div class="steer-row">
      <input type="text" class="steer-text" aria-label="Message to the agent" placeholder="Tell the agent something…"
        value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
      <select aria-label="Steer mode" value=${mode} onChange=${(e) => setMode(e.currentTarget.value)}>
        <option value="QUEUE">Queue (next user message)</option>
        <option value="STEER">Steer (at the next safe point)</option>
        <option value="INTERRUPT">Interrupt (replace the plan)</option>
      </select>
      <button type="submit" disabled=${!text.trim()}>Send</button>
    </div>
    ${error ? html`<span class="error-message" role="alert">${error.message}</span>` : null}
  </form>`;
}

function SteerLife({ runId, command, text }) {
  const life = useCommand(runId, command);
  return html`<div class="steer-sent"><span class="mono small">“${text}”</span> <${CommandLife} command=${life} label="" /></div>`;
}

/** Retrigger: the agent starts the run again; `onNewRun(id)` once it says which run. */
export function RetriggerButton({ runId, disabled, onNewRun }) {
  const [command, setCommand] = useState(null);
  const [error, setError] = useState(null);
  const life = useCommand(runId, command, (c) => c.state === "APPLIED" && c.detail && onNewRun(c.detail));
  const send = async () => {
    setError(null);
    try {
      const data = await mutate(`mutation Retrigger($id: ID!) { retriggerRun(id: $id) { ${COMMAND} } }`, { id: runId });
      setCommand(data.retriggerRun);
    } catch (err) {
      setError(err);
    }
  };
  return html`<span class="retrigger">
    <button type="button" class="primary" disabled=${disabled || (life && !SETTLED.has(life.state))} onClick=${send}>↻ Retrigger run</button>
    ${life ? html`<${CommandLife} command=${life} label="Retrigger:" />` : null}
    ${error ? html`<span class="error-message" role="alert">${error.message}</span>` : null}
  </span>`;
}
