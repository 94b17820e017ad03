// The live quote of the Edit workspace: POST /edit/preflight with exactly what Run would
// send (the drawn mask included), so the price, the balance after, a plan's refusal or a
// problem with the settings shows before anything is paid. Nothing is held by asking.

import { debounce } from "../dom.js";

function money(m) { return m.micros === 0 ? "Free" : m.usd; }

/**
 * `line`: the element the quote is written to; `run`: the Run button (disabled while the
 * plan or the balance refuses); `nameOf(engine)`: the engine's name for people (its id
 * stays in the line's title). `refresh(build)`: `build()` resolves the FormData to quote.
 */
export function editQuote(api, line, run, nameOf = (engine) => engine) {
  let asked = 0;
  let controller = null;

  function show(state, text) {
    line.dataset.state = state;
    line.textContent = text;
  }

  async function ask(build) {
    const mine = ++asked;
    if (controller) controller.abort();
    controller = new AbortController();
    show("asking", "Checking the price…");
    try {
      const form = await build();
      const q = await api.editPreflight(form, controller.signal);
      if (mine !== asked) return;
      let text = `${money(q.quote)} · ${nameOf(q.engine)}`;
      line.title = q.engine;
      if (q.quote.micros > 0) text += ` · balance after ${q.balance_after.usd}`;
      if (q.warnings.length) text += ` · ${q.warnings.join("; ")}`;
      if (!q.can_proceed) text += ` · cannot run: ${q.reasons.map((r) => r.message).join("; ")}`;
      show(q.can_proceed ? "ok" : "blocked", text);
      run.disabled = !q.can_proceed;
    } catch (error) {
      if (mine !== asked || error.code === "aborted") return;
      // a setting the API refuses: say which, but leave Run to explain it in full
      show("problem", `Not ready: ${error.message}`);
      run.disabled = false;
    }
  }

  return { refresh: debounce(ask, 300) };
}
