// Loading, empty and error states every page shows the same way.
import { html } from "../html.js";

export function Loading({ label = "Loading…" }) {
  return html`<div class="state loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</div>`;
}

/** An error from client.js: unreachable server, unknown id, an API error with its message. */
export function ErrorState({ error, title, retry }) {
  const code = error?.code;
  const heading =
    title ||
    (code === "UNREACHABLE"
      ? "Server unreachable"
      : code === "NOT_FOUND"
        ? "Not found"
        : code === "UNAUTHENTICATED"
          ? "API key needed"
          : "The API answered with an error");
  return html`<div class="state error" role="alert">
    <h2><span aria-hidden="true">⚠ </span>${heading}</h2>
    <p class="error-message">${error?.message || String(error)}</p>
    ${code && code !== "UNREACHABLE" ? html`<p class="muted">code <code>${code}</code></p>` : null}
    ${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}

export function Empty({ title, children }) {
  return html`<div class="state empty"><h2>${title}</h2>${children}</div>`;
}
