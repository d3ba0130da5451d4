// Critical intercepts at the top of the Runs page: failed, over budget, high intervention rate.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { Link } from "../router.js";
import { query, subscribe } from "../client.js";
import { When } from "./run_row.js";

const INTERCEPTS = `query Intercepts { criticalIntercepts(first: 5, window: LAST_7D) {
  edges { node { reason { type message } reasons { type message }
    run { id name startedAt status agent { id name } } } }
  pageInfo { hasNextPage }
} }`;
const ENDINGS = `subscription Endings { runUpdates { type run { id } } }`;
const LABEL = { FAILED: "Failed", OVER_BUDGET: "Over budget", HIGH_INTERVENTION_RATE: "High intervention rate" };
const ICON = { FAILED: "✕", OVER_BUDGET: "$", HIGH_INTERVENTION_RATE: "⚑" };

export function Intercepts() {
  const [items, setItems] = useState(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(true);
  useEffect(() => {
    let timer = 0;
    const refresh = () => query(INTERCEPTS)
      .then((data) => {
        setItems(data.criticalIntercepts.edges.map((e) => e.node));
        setMore(data.criticalIntercepts.pageInfo.hasNextPage);
        setError(null);
      })
      .catch(setError);
    refresh();
    const stop = subscribe(ENDINGS, {}, {
      next: (data) => {
        if (data.runUpdates.type === "CREATED") return;
        clearTimeout(timer);
        timer = setTimeout(refresh, 500);
      },
    });
    return () => {
      stop();
      clearTimeout(timer);
    };
  }, []);
  if (error) return html`<p class="intercepts muted small" role="status">Critical intercepts unavailable: ${error.message}</p>`;
  if (!items || !items.length) return null;
  return html`<section class="intercepts" aria-labelledby="intercepts-title">
    <h2 id="intercepts-title">
      <button type="button" class="j-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>
        <span aria-hidden="true">${open ? "▾" : "▸"}</span> Critical intercepts (${items.length}${more ? "+" : ""})
      </button>
    </h2>
    ${open ? html`<ul>
      ${items.map((item) => html`<li key=${item.run.id}>
        <${Link} href=${`/runs/${encodeURIComponent(item.run.id)}`} class="intercept">
          <span class="badge tone-bad"><span aria-hidden="true">${ICON[item.reason.type]}</span>${LABEL[item.reason.type]}</span>
          <${When} iso=${item.run.startedAt} />
          <strong>${item.run.agent.name}</strong>
          <span class="reason">${item.reasons.map((r) => r.message).join(" · ")}</span>
        <//>
      </li>`)}
    </ul>` : null}
  </section>`;
}
