// History in Create: your recent runs from the API (they survive a reload and another
// browser), each with its settings, "Restore settings" and "Run again". Runs still going
// are left to Results, which follows them live.

import { formatDate, h, replace, shorten, studioUrl } from "../dom.js";
import { plural } from "../plural.js";
import { explainBlock } from "../errors/explain.js";

function summary(item, modelName) {
  const r = item.request || {};
  const size = r.width && r.height ? `${r.width} × ${r.height} px` : r.aspect_ratio || "template size";
  return [modelName(item.model), r.quality ? `${r.quality} quality` : null, size,
    plural(item.num_requested, "variation")].filter(Boolean).join(" · ");
}

export class History {
  /** `onRestore(item)` and `onRunAgain(item)` get one GET /ui/history item. */
  constructor(api, { modelName, onRestore, onRunAgain }) {
    this.api = api;
    this.modelName = modelName;
    this.onRestore = onRestore;
    this.onRunAgain = onRunAgain;
    this.list = h("ol", { class: "history-list", "aria-label": "Past runs" });
    this.status = h("p", { class: "hint", role: "status" });
    this.el = h("section", { class: "history card", "aria-labelledby": "history-title", id: "history" },
      h("h2", { id: "history-title" }, "History"),
      h("p", { class: "hint" }, "Your recent runs, newest first. Restore their settings or run them again."),
      this.status, this.list);
  }

  async load() {
    try {
      const { items } = await this.api.history(8);
      this.render(items);
    } catch (error) {
      replace(this.status, explainBlock(error, { compact: true }));
    }
  }

  render(all) {
    // A run still going is shown live under Results; it joins the history when it ends.
    const items = all.filter((item) => item.status !== "running");
    replace(this.status, items.length ? "" : "No runs yet: your first generation appears here.");
    replace(this.list, items.map((item) => this.row(item)));
  }

  row(item) {
    const restore = h("button", { type: "button", class: "btn btn-small" }, "Restore settings");
    restore.addEventListener("click", () => this.onRestore(item));
    const again = h("button", { type: "button", class: "btn btn-small btn-primary" }, "Run again");
    again.addEventListener("click", () => this.onRunAgain(item));
    const prompt = (item.request && item.request.prompt) || "";
    const thumbs = item.assets.slice(0, 4).map((a) => h("img", {
      src: studioUrl(a.url), alt: "", width: a.width, height: a.height, loading: "lazy", class: "history-thumb",
    }));
    const outcome = item.num_succeeded === item.num_requested
      ? `${plural(item.num_succeeded, "image")} · ${item.cost.usd}`
      : `${item.num_succeeded} of ${plural(item.num_requested, "image")} made · ${item.cost.usd}`;
    return h("li", { class: "history-item", dataset: { generationId: item.id } },
      h("div", { class: "history-thumbs" }, thumbs),
      h("div", { class: "history-main" },
        h("p", { class: "history-prompt" }, shorten(prompt, 110)),
        h("p", { class: "hint" }, `${formatDate(item.created_at)} · ${outcome}`),
        h("p", { class: "hint" }, summary(item, this.modelName)),
        h("div", { class: "btn-row" }, restore, again)));
  }
}
