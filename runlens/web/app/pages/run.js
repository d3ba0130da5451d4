import { html } from "../html.js";
import { Loading } from "../components/states.js";

export function RunPage({ params }) {
  return html`<${Loading} label=${`Run ${params.id}`} />`;
}
