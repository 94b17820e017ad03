// One place that turns an API error into a marketer's sentence, one next step and a
// "Details" toggle with the technical text (codes, vendor, server message).

import { h } from "../dom.js";
import { session } from "../session.js";
import { ERROR_TEXT, FALLBACK } from "./messages.js";

const ACTION_LABELS = {
  retry: "Try again",
  draft: "Use the free draft",
  auto: "Switch to Auto",
};

function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (_, key) => vars[key] || "the image service");
}

/** The code that explains `error` best: for "all failed", the first variation's code. */
export function codeOf(error) {
  const code = (error && error.code) || "internal_error";
  const variations = (error && error.details && error.details.variations) || [];
  if (code === "generation_failed" && variations.length) return variations[0].code || code;
  return code;
}

/** {say, next, action, admin, code} for `error` ({code, message, details, status}). */
export function explain(error, overrideCode = null) {
  const code = overrideCode || codeOf(error);
  const entry = ERROR_TEXT[code] || FALLBACK;
  const details = (error && error.details) || {};
  const first = (details.variations || [])[0] || {};
  const providerId = details.provider || first.provider || error.provider || "";
  const vars = {
    provider: providerId ? session.providerName(providerId) : "",
    plan: session.user && session.user.planName ? session.user.planName : "your",
  };
  const local = session.mode === "local" && entry.nextLocal;
  return {
    code,
    say: fill(entry.say, vars),
    next: fill(local ? entry.nextLocal : entry.next, vars),
    action: entry.action || null,
    admin: Boolean(entry.admin),
  };
}

/** The technical lines behind "Details". */
function detailRows(error) {
  const rows = [["Code", error.code || "error"]];
  if (error.status) rows.push(["HTTP status", String(error.status)]);
  const details = error.details || {};
  if (details.provider) rows.push(["Provider", details.provider]);
  if (error.message) rows.push(["Message", error.message]);
  for (const v of details.variations || []) {
    rows.push([`Image ${v.index + 1}`, `${v.code}${v.provider ? ` · ${v.provider}` : ""}: ${v.message}`]);
  }
  return rows;
}

/** The technical detail of `error` behind a closed "Details" toggle. */
export function detailsToggle(error) {
  return h("details", { class: "explain-details" }, h("summary", {}, "Details"),
    h("dl", { class: "facts facts-compact" },
      detailRows(error).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

/**
 * A block: the sentence, "Next step: …" with an optional button, and Details.
 * `onAction(actionId)` runs the button; without it no button is shown. `said`: the
 * sentence is already on screen (e.g. as a status line), so only the next step follows.
 */
export function explainBlock(error, { onAction = null, role = null, compact = false, said = false } = {}) {
  const text = explain(error);
  const button = onAction && text.action
    ? h("button", { type: "button", class: "btn btn-small", dataset: { action: text.action } },
      ACTION_LABELS[text.action])
    : null;
  if (button) button.addEventListener("click", () => onAction(text.action));
  return h("div", { class: `explain${compact ? " explain-compact" : ""}`, role, dataset: { code: text.code } },
    said ? null : h("p", { class: "explain-say" }, text.say),
    h("p", { class: "explain-next" }, h("strong", {}, "Next step: "), text.next),
    button, detailsToggle(error));
}
