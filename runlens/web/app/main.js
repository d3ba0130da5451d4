// Entry point: the shell around the routed page. A new API key remounts the page, so it
// reads again with the key.
import { html, render } from "./html.js";
import { Routes } from "./router.js";
import { apiKey } from "./client.js";
import { Header, KeyPrompt, HelpOverlay } from "./components/shell.js";
import { NotFoundPage } from "./pages/index.js";

function App() {
  return html`<${Header} />
    <main id="main" tabindex="-1"><${Routes} key=${apiKey.value || "-"} fallback=${NotFoundPage} /></main>
    <${KeyPrompt} />
    <${HelpOverlay} />`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
