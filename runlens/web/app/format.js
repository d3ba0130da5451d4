// How numbers, costs, tokens, durations and times read: for people, never a float's tail.
const integer = new Intl.NumberFormat("en-US");
const dollars = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `$0.0116`, `$1.27`, `$0`; "—" when nothing was priced; `partial` marks unpriced calls. */
export function formatCost(usd) {
  if (usd === null || usd === undefined) return "—";
  if (usd === 0) return "$0";
  if (Math.abs(usd) >= 1) return `$${dollars.format(usd)}`;
  const text = Number(usd.toPrecision(3)).toString();
  return `$${text.includes("e") ? usd.toFixed(8).replace(/0+$/, "") : text}`;
}

/** `1,240` */
export function formatTokens(count) {
  if (count === null || count === undefined) return "—";
  return integer.format(Number(count));
}

/** `840 ms`, `4.2 s`, `1m12s`, `2h05m` */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.floor(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h) return `${h}h${String(m).padStart(2, "0")}m`;
  return `${m}m${String(sec).padStart(2, "0")}s`;
}

/** `97%` or `97.5%` */
export function formatPercent(value) {
  if (value === null || value === undefined) return "—";
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)}%`;
}

/** A byte count for people: `5.0 MB`. */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Milliseconds since the epoch of a GraphQL DateTime (ISO; naive ones are UTC). */
export function toMillis(iso) {
  if (!iso) return null;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

/** `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; future times read `in …`. */
export function formatRelative(iso, now = Date.now()) {
  const at = toMillis(iso);
  if (at === null) return "—";
  const diff = Math.round((now - at) / 1000);
  const ahead = diff < 0;
  const s = Math.abs(diff);
  let text;
  if (s < 5) return "just now";
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h`;
  else text = `${Math.floor(s / 86400)} d`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** The exact local time, for titles: `2026-12-07 14:02:11.123`. */
export function formatExact(iso) {
  const at = toMillis(iso);
  if (at === null) return "";
  const d = new Date(at);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `3f9a…c2` */
export function shortId(id) {
  return id && id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}
