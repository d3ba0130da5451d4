// Client-side routing on the History API. `here` is the current location as a signal
// ({ path, query: URLSearchParams }); pages are registered with `route(pattern, Page)` in
// pages/index.js and rendered by <Routes/> with their `params` (":id" segments, decoded).
import { signal } from "@preact/signals";
import { html } from "./html.js";

function current() {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export const here = signal(current());

window.addEventListener("popstate", () => {
  here.value = current();
});

/** Go to `to` ("/runs?status=FAILED"); `replace` keeps the history entry (filter typing). */
export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.origin);
  if (url.pathname + url.search === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url.pathname + url.search + url.hash);
  here.value = current();
}

/** The current URL with `changes` applied to its query (null or "" removes a parameter). */
export function withQuery(changes, base = here.value) {
  const query = new URLSearchParams(base.query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") query.delete(name);
    else query.set(name, String(value));
  }
  const text = query.toString();
  return base.path + (text ? `?${text}` : "");
}

/** `params` of `path` against `pattern` ("/runs/:id"), or null when it does not match. */
export function match(pattern, path) {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

const table = [];

/** Register a page; the first pattern that matches wins. */
export function route(pattern, Page) {
  table.push({ pattern, Page });
}

export function Routes({ fallback: Fallback }) {
  const { path } = here.value;
  for (const { pattern, Page } of table) {
    const params = match(pattern, path);
    if (params) return html`<${Page} params=${params} />`;
  }
  return html`<${Fallback} path=${path} />`;
}

/** An <a> that navigates in place on a plain left click (new tab etc. still work). */
export function Link({ href, replace = false, children, ...rest }) {
  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href, { replace });
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
