// Before/after: the earlier version under the later one, the later one revealed from the
// left up to the slider's position. The slider is a native range input (arrow keys, Home,
// End), and a toggle button shows the whole "before" while it is pressed on.

import { h, studioUrl, uid } from "../dom.js";

/** A compare panel; `show(before, after)` with two assets, `hide()` when there is none. */
export function comparePanel() {
  const before = h("img", { class: "edit-compare-img", alt: "" });
  const after = h("img", { class: "edit-compare-img edit-compare-after", alt: "" });
  const slider = h("input", { type: "range", id: uid("cmp"), min: "0", max: "100", step: "1",
    value: "50" });
  const toggle = h("button", { type: "button", class: "btn btn-small", "aria-pressed": "false" },
    "Show before only");
  const caption = h("p", { class: "hint", "aria-live": "polite" });
  const stage = h("div", { class: "edit-compare-stage" }, before, after,
    h("div", { class: "edit-compare-line", "aria-hidden": "true" }));
  const panel = h("section", { class: "edit-compare", "aria-label": "Before and after", hidden: true },
    h("h3", {}, "Before and after"), stage,
    h("div", { class: "field" }, h("label", { for: slider.id }, "Before ↔ after"), slider),
    h("div", { class: "btn-row" }, toggle), caption);

  function place() {
    const shown = toggle.getAttribute("aria-pressed") === "true" ? 0 : Number(slider.value);
    // the "after" image covers the stage from the left edge to the slider
    after.style.setProperty("clip-path", `inset(0 ${100 - shown}% 0 0)`);
    stage.style.setProperty("--split", `${shown}%`);
    slider.setAttribute("aria-valuetext", `${shown} % after`);
  }
  slider.addEventListener("input", place);
  toggle.addEventListener("click", () => {
    const on = toggle.getAttribute("aria-pressed") !== "true";
    toggle.setAttribute("aria-pressed", String(on));
    place();
  });

  return {
    element: panel,
    show(older, newer, label) {
      before.src = studioUrl(older.url);
      before.alt = `Before: ${label.before}`;
      after.src = studioUrl(newer.url);
      stage.style.setProperty("--ar", String(newer.width / newer.height));
      after.alt = `After: ${label.after}`;
      caption.textContent = `Left of the line: after (${label.after}); right: before (${label.before}).`;
      panel.hidden = false;
      place();
    },
    hide() { panel.hidden = true; },
  };
}
