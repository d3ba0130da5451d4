// The Run Timeline and the Live Run Viewer are built next; until then their URLs say so.
import { html } from "../html.js";
import { Link } from "../router.js";
import { Empty } from "../components/states.js";

export function PendingPage({ params }) {
  return html`<${Empty} title="Not available yet">
    <p>This view of run <code>${params.id}</code> is not part of this version.
      <${Link} href=${`/runs/${encodeURIComponent(params.id)}`}>Open the run's details<//>.</p>
  <//>`;
}
