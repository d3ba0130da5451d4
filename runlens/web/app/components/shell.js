// The frame of every page: header with navigation and the connection pill, the API key
// prompt (auth required), and the `?` keyboard help.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { Link, here } from "../router.js";
import { connection, needsKey, setApiKey, apiKey } from "../client.js";
import { bindings, helpOpen } from "../keys.js";

const NAV = [
  { href: "/runs", label: "Runs", active: (p) => p === "/" || p.startsWith("/runs") },
  { href: "/activity", label: "Activity", active: (p) => p.startsWith("/activity") },
];

const PILL = {
  idle: { label: "Idle", tone: "muted", icon: "○" },
  connecting: { label: "Connecting…", tone: "warn", icon: "◌" },
  connected: { label: "Live", tone: "ok", icon: "●" },
  reconnecting: { label: "Reconnecting…", tone: "bad", icon: "◌" },
};

export function ConnectionPill() {
  const spec = PILL[connection.value] || PILL.idle;
  return html`<span class="pill tone-${spec.tone}" role="status" aria-live="polite" data-state=${connection.value}
    title="Live updates over WebSocket">
    <span aria-hidden="true">${spec.icon}</span> ${spec.label}
  </span>`;
}

export function Header() {
  const path = here.value.path;
  return html`<header class="top">
    <a class="brand" href="/runs">runlens</a>
    <nav aria-label="Main">
      ${NAV.map((item) => html`<${Link} href=${item.href} class="nav" aria-current=${item.active(path) ? "page" : null}>${item.label}<//>`)}
    </nav>
    <span class="spacer"></span>
    <${ConnectionPill} />
    <a class="nav small" href="/graphql" title="GraphiQL: the API explorer">API</a>
    <button type="button" class="icon" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)"
      onClick=${() => (helpOpen.value = true)}>?</button>
  </header>`;
}

/** A modal dialog on <dialog> (focus trapped by the browser, Esc closes). */
function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);
  return html`<dialog ref=${ref} aria-label=${title} onClose=${onClose} onCancel=${onClose}>
    <h2>${title}</h2>${children}
  </dialog>`;
}

export function KeyPrompt() {
  const [value, setValue] = useState("");
  if (!needsKey.value) return null;
  const submit = (event) => {
    event.preventDefault();
    setApiKey(value);
    window.dispatchEvent(new CustomEvent("runlens:key"));
  };
  return html`<${Dialog} title="API key" onClose=${() => null}>
    <form onSubmit=${submit} class="key-form">
      <p>This runlens requires an API key. ${apiKey.value ? "The key you gave was refused. " : ""}
        Create one with <code>runlens keys create --project NAME</code>; it is kept in this browser.</p>
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" required value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Use this key</button>
      ${apiKey.value ? html`<button type="button" class="link" onClick=${() => setApiKey(null)}>Forget the key and continue without one</button>` : null}
    </form>
  <//>`;
}

export function HelpOverlay() {
  if (!helpOpen.value) return null;
  const groups = new Map();
  for (const b of bindings.value) {
    if (!groups.has(b.group)) groups.set(b.group, []);
    groups.get(b.group).push(b);
  }
  return html`<${Dialog} title="Keyboard shortcuts" onClose=${() => (helpOpen.value = false)}>
    <table class="keys">
      <tbody>
        <tr><td><kbd>?</kbd></td><td>show or hide this list</td></tr>
        ${[...groups.entries()].map(([group, list]) => html`
          <tr><th colspan="2">${group}</th></tr>
          ${list.map((b) => html`<tr><td><kbd>${b.key === " " ? "Space" : b.key}</kbd></td><td>${b.description}</td></tr>`)}`)}
      </tbody>
    </table>
    <button type="button" onClick=${() => (helpOpen.value = false)}>Close</button>
  <//>`;
}
