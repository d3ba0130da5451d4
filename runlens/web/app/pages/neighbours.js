// The last run list the Runs page showed, kept for this tab, so a run's page can step to the
// previous or next run of that list with [ and ].
const KEY = "runlens.runList";

export function rememberList(ids, filters) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ ids, filters }));
  } catch {
    /* storage full or disabled: no stepping */
  }
}

/** The id `step` places from `id` in the remembered list, or null. */
export function neighbour(id, step) {
  try {
    const { ids } = JSON.parse(sessionStorage.getItem(KEY) || "{}");
    const at = (ids || []).indexOf(id);
    return at < 0 ? null : ids[at + step] || null;
  } catch {
    return null;
  }
}
