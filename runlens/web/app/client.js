// The one GraphQL client of the UI: queries and mutations over fetch (POST /graphql), and one
// subscription manager over graphql-ws (graphql-transport-ws) that reconnects forever with
// backoff. `connection` tells the header pill what the socket is doing; `needsKey` asks for an
// API key when the server answers UNAUTHENTICATED (auth required).
import { signal } from "@preact/signals";
import { createClient } from "graphql-ws";

const KEY_STORAGE = "runlens.apiKey";

/** The API key the user gave, kept in localStorage; null when none. */
export const apiKey = signal(readKey());
/** True once the server said a key is needed (or the one we have is bad). */
export const needsKey = signal(false);
/** "idle" (no subscription yet) | "connecting" | "connected" | "reconnecting" */
export const connection = signal("idle");

export class ApiError extends Error {
  /** `code`: the GraphQL error code (NOT_FOUND, BAD_REQUEST, …), UNREACHABLE or HTTP_<status>. */
  constructor(message, code, { status = 0, errors = [], data = null } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.errors = errors;
    this.data = data;
  }
}

function readKey() {
  try {
    return window.localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key) {
  const value = key && key.trim() ? key.trim() : null;
  if (value) window.localStorage.setItem(KEY_STORAGE, value);
  else window.localStorage.removeItem(KEY_STORAGE);
  apiKey.value = value;
  needsKey.value = false;
  restartSubscriptions();
}

/** Headers for any request to the API (the export too). */
export function authHeaders() {
  return apiKey.value ? { Authorization: `Bearer ${apiKey.value}` } : {};
}

/**
 * Run a query or mutation; resolves with `data`, rejects with an ApiError carrying the first
 * error's code and every message. `options.signal` aborts it (AbortController).
 */
export async function request(document, variables = {}, options = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...authHeaders() },
      body: JSON.stringify({ query: document, variables }),
      signal: options.signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("The runlens server is unreachable. Is `runlens serve` running?", "UNREACHABLE");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status}.`, `HTTP_${response.status}`, {
      status: response.status,
    });
  }
  const errors = body.errors || (body.error ? [{ message: body.error.message, extensions: { code: body.error.code } }] : []);
  if (errors.length) {
    const code = errors[0].extensions?.code || `HTTP_${response.status}`;
    if (code === "UNAUTHENTICATED" || response.status === 401) needsKey.value = true;
    const message = errors.map((e) => e.message).join("; ");
    throw new ApiError(message, code, { status: response.status, errors, data: body.data });
  }
  return body.data;
}

export const query = request;
export const mutate = request;

// ---- subscriptions -------------------------------------------------------------------------

let client = null;
let everConnected = false;

function wsUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
}

function getClient() {
  if (client) return client;
  client = createClient({
    url: wsUrl(),
    lazy: true,
    keepAlive: 15_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      const ms = Math.min(500 * 2 ** retries, 10_000) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    connectionParams: () => (apiKey.value ? { authorization: `Bearer ${apiKey.value}` } : {}),
    on: {
      connecting: () => {
        connection.value = everConnected ? "reconnecting" : "connecting";
      },
      connected: () => {
        everConnected = true;
        connection.value = "connected";
      },
      closed: (event) => {
        if (event && event.code === 4403) needsKey.value = true; // the key was refused
        connection.value = active.size ? "reconnecting" : "idle";
      },
    },
  });
  return client;
}

const active = new Set(); // { document, variables, handlers, dispose }

function start(sub) {
  sub.dispose = getClient().subscribe(
    { query: sub.document, variables: sub.variables },
    {
      next: (message) => {
        if (message.errors?.length) {
          const code = message.errors[0].extensions?.code || "ERROR";
          sub.handlers.error?.(new ApiError(message.errors.map((e) => e.message).join("; "), code));
        } else {
          sub.handlers.next(message.data);
        }
      },
      error: (err) => sub.handlers.error?.(err instanceof Error ? err : new ApiError("subscription failed", "ERROR")),
      complete: () => {
        active.delete(sub);
        sub.handlers.complete?.();
      },
    },
  );
}

/**
 * Subscribe; `handlers`: { next(data), error?(err), complete?() }. Returns the unsubscribe
 * function. All subscriptions share one WebSocket; after a drop they are sent again, so a
 * page that needs to catch up should re-read in `onReconnect`.
 */
export function subscribe(document, variables, handlers) {
  const sub = { document, variables, handlers, dispose: () => {} };
  active.add(sub);
  start(sub);
  return () => {
    active.delete(sub);
    sub.dispose();
  };
}

/** Call `listener` each time the socket connects again after a drop; returns the remover. */
export function onReconnect(listener) {
  let dropped = false;
  const stop = connection.subscribe((state) => {
    if (state === "reconnecting") dropped = true;
    if (state === "connected" && dropped) {
      dropped = false;
      listener();
    }
  });
  return stop;
}

function restartSubscriptions() {
  if (!client) return;
  const subs = [...active];
  subs.forEach((sub) => sub.dispose());
  Promise.resolve(client.dispose()).catch(() => {}); // a refused connection rejects it
  client = null;
  everConnected = false;
  subs.forEach(start);
}

// ---- export --------------------------------------------------------------------------------

/** Download `/export/runs?<params>` (with the key) as a file; resolves with its name. */
export async function downloadExport(params) {
  let response;
  try {
    response = await fetch(`/export/runs?${params}`, { headers: authHeaders() });
  } catch {
    throw new ApiError("The runlens server is unreachable.", "UNREACHABLE");
  }
  if (!response.ok) {
    let message = `Export failed (HTTP ${response.status})`;
    try {
      const body = await response.json();
      message = body.error?.message || body.detail || message;
    } catch {
      /* not JSON */
    }
    if (response.status === 401) needsKey.value = true;
    throw new ApiError(message, `HTTP_${response.status}`, { status: response.status });
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || "runs-export";
  saveBlob(await response.blob(), name);
  return name;
}

/** Offer `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
