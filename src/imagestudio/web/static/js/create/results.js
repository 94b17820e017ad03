// Results: one card per requested variation. The create call is synchronous, so every card
// shows honest indeterminate progress until the response arrives; then each card shows its
// image or its own error.

import {
  downloadLink, extensionOf, fileName, formatDate, h, pluralize, replace, setStyles, shorten, studioUrl,
} from "../dom.js";
import { openGallery } from "../components/lightbox.js";
import { toast, toastError } from "../components/toast.js";
import { detailsToggle, explain, explainBlock } from "../errors/explain.js";
import { session } from "../session.js";
import { humanWarning } from "./wording.js";

function pendingCard(index, total, ratio) {
  const media = h("div", { class: "var-media var-pending" },
    h("div", { class: "progress", role: "progressbar", "aria-label": `Generating variation ${index + 1} of ${total}`,
      "aria-valuetext": "In progress" }, h("span", { class: "progress-bar" })),
    h("span", { class: "var-pending-text" }, "Generating…"));
  setStyles(media, { "aspect-ratio": ratio });
  return h("li", { class: "var-card", "aria-busy": "true" }, media,
    h("div", { class: "var-body" }, h("p", { class: "var-title" }, `Variation ${index + 1}`),
      h("p", { class: "hint" }, "Waiting for the studio")));
}

async function copyImage(url) {
  const response = await fetch(url, { credentials: "omit" });
  const blob = await response.blob();
  if (window.ClipboardItem && navigator.clipboard && navigator.clipboard.write && blob.type === "image/png") {
    await navigator.clipboard.write([new ClipboardItem({ [blob.type]: blob })]);
    return "Image copied to the clipboard.";
  }
  await navigator.clipboard.writeText(new URL(url, location.href).href);
  return "This format cannot be copied as an image; its link was copied instead.";
}

export class Results {
  /** `onUseSeed(seed)`, `onUse(variation)` ("use this one"), `onAction(id)` (an error's next step), `modelName(id)`. */
  constructor(api, { onUseSeed, onUse, onAction, modelName }) {
    this.api = api;
    this.onUseSeed = onUseSeed;
    this.onUse = onUse;
    this.onAction = onAction;
    this.modelName = modelName;
    this.controller = null;
    this.live = h("p", { class: "sr-only", "aria-live": "polite", id: "results-live" });
    this.runs = h("div", { class: "runs" });
    this.empty = h("div", { class: "empty" },
      h("p", { class: "empty-title" }, "Your images will appear here"),
      h("p", { class: "muted" }, "Pick a template, describe the image and press Generate. "
        + "Every image is saved to your library automatically."));
    this.el = h("section", { class: "results", "aria-labelledby": "results-title" },
      h("h2", { id: "results-title", class: "section-title" }, "Results"),
      this.live, this.empty, this.runs);
  }

  /** Run one create request; resolves to the API result, or null when it failed. */
  async run(body, label, ratio) {
    this.empty.hidden = true;
    const total = body.num_variations;
    const status = h("p", { class: "run-status", role: "status" }, `Generating ${pluralize(total, "variation")}…`);
    const grid = h("ul", { class: "var-grid", "aria-label": "Variations" });
    for (let i = 0; i < total; i += 1) grid.append(pendingCard(i, total, ratio));
    const started = Date.now();
    const timer = setInterval(() => {
      status.textContent = `Generating ${pluralize(total, "variation")}… ${Math.round((Date.now() - started) / 1000)} s`;
    }, 1000);
    this.controller = new AbortController();
    const cancel = h("button", { type: "button", class: "btn btn-small btn-danger", id: "cancel-run" }, "Cancel");
    cancel.addEventListener("click", () => this.cancel());
    const section = h("section", { class: "run card", "aria-busy": "true", tabindex: "-1" },
      h("div", { class: "run-head" }, h("h3", {}, label),
        h("span", { class: "muted" }, formatDate(new Date().toISOString())), cancel),
      status, grid);
    this.runs.prepend(section);
    this.current = section;
    this.live.textContent = `Generating ${pluralize(total, "variation")}.`;
    try {
      const result = await this.api.create(body, this.controller.signal);
      this.renderResult(section, status, grid, result);
      return result;
    } catch (error) {
      this.renderFailure(section, status, grid, error, total);
      return null;
    } finally {
      clearInterval(timer);
      cancel.remove();
      this.controller = null;
      section.removeAttribute("aria-busy");
    }
  }

  /** Stop waiting for the running generation (the request is aborted). */
  cancel() {
    if (this.controller) this.controller.abort();
  }

  renderResult(section, status, grid, result) {
    const ok = result.num_succeeded;
    const failed = result.num_failed;
    status.textContent = failed
      ? `${ok} of ${pluralize(result.num_requested, "variation")} ready, ${failed} failed · cost ${result.cost.usd}`
      : `${pluralize(ok, "variation")} ready · cost ${result.cost.usd}`;
    status.classList.toggle("run-partial", failed > 0);
    this.live.textContent = status.textContent;
    const extras = [];
    if (result.enhanced_prompt) {
      extras.push(h("details", { class: "sent-prompt" }, h("summary", {}, "Prompt sent to the model"),
        h("p", {}, result.enhanced_prompt)));
    }
    if (result.warnings.length) {
      extras.push(h("ul", { class: "warnings", "aria-label": "Notes from the studio" },
        result.warnings.map((w) => h("li", {}, humanWarning(w, this.modelName)))));
    }
    status.after(...extras);
    const done = result.variations.filter((v) => v.status === "succeeded");
    const gallery = done.map((v) => this.galleryItem(v, result));
    replace(grid, result.variations.map((v) => (v.status === "succeeded"
      ? this.successCard(v, result, gallery, done.indexOf(v))
      : this.failedCard(v, result.num_requested))));
  }

  renderFailure(section, status, grid, error, total) {
    const text = explain(error);
    status.textContent = text.code === "aborted" ? "Cancelled." : text.say;
    status.classList.add("run-failed");
    status.setAttribute("role", "alert");
    this.live.textContent = "";
    status.after(explainBlock(error, { onAction: this.onAction, said: text.code !== "aborted" }));
    const perVariation = (error.details && error.details.variations) || [];
    if (!perVariation.length) {
      grid.remove();
      return;
    }
    replace(grid, perVariation.map((v) => this.failedCard({ index: v.index, error: v, provider: v.provider }, total)));
  }

  failedCard(variation, total) {
    const error = variation.error || { message: "unknown error", code: "internal_error" };
    const wrapped = { code: error.code, message: error.message, details: { provider: variation.provider } };
    const text = explain(wrapped);
    return h("li", { class: "var-card var-failed", dataset: { code: error.code } },
      h("div", { class: "var-media var-error" },
        h("span", { class: "var-error-icon", "aria-hidden": "true" }, "!"),
        h("p", {}, text.say)),
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, `Variation ${variation.index + 1} of ${total} failed`),
        h("p", { class: "hint" }, text.next),
        detailsToggle(wrapped)));
  }

  galleryItem(v, result) {
    const url = studioUrl(v.url);
    return {
      url,
      assetId: v.asset_id,
      favourite: false,
      variation: v,
      alt: `Variation ${v.index + 1} of ${result.num_requested}: ${shorten(result.prompt, 120)}`,
      title: `Variation ${v.index + 1}`,
      filename: fileName(result.prompt, v.seed ?? v.index + 1, extensionOf(v.media_type)),
      facts: [["Size", `${v.width} × ${v.height} px`], ["Model", this.modelName(v.model)],
        ["Provider", session.providerName(v.provider)], ["Seed", v.seed], ["Cost", v.cost.usd],
        ["Fallback from", v.fallback_from ? this.modelName(v.fallback_from) : null]],
      details: h("details", { class: "explain-details" }, h("summary", {}, "Details"),
        h("dl", { class: "facts facts-compact" },
          h("dt", {}, "Model id"), h("dd", {}, v.model || ""),
          h("dt", {}, "Asset id"), h("dd", {}, v.asset_id || ""))),
    };
  }

  openCompare(gallery, index) {
    openGallery(gallery, index, {
      onFavourite: async (item, want) => {
        await this.setFavourite(item.assetId, want);
        const card = this.runs.querySelector(`[data-asset-id="${CSS.escape(item.assetId)}"] .fav`);
        if (card) {
          card.setAttribute("aria-pressed", String(want));
          card.textContent = want ? "★ Favourite" : "☆ Favourite";
        }
      },
      onUse: (item) => this.pick(item),
    });
  }

  pick(item) {
    for (const card of this.runs.querySelectorAll(".var-card.is-picked")) card.classList.remove("is-picked");
    const card = this.runs.querySelector(`[data-asset-id="${CSS.escape(item.assetId || "")}"]`);
    if (card) card.classList.add("is-picked");
    this.onUse(item.variation);
  }

  async setFavourite(assetId, want) {
    try {
      await this.api.updateAsset(assetId, { favourite: want });
      toast(want ? "Added to favourites." : "Removed from favourites.");
    } catch (error) {
      toastError(error, "Could not update the favourite");
      throw error;
    }
  }

  successCard(v, result, gallery, at) {
    const item = gallery[at];
    const url = item.url;
    const open = () => this.openCompare(gallery, at);
    const image = h("img", { src: url, alt: item.alt, loading: "lazy", decoding: "async", width: v.width, height: v.height });
    const media = h("button", { type: "button", class: "var-media var-open", "aria-label": `Open variation ${v.index + 1} full size` }, image);
    setStyles(media, { "aspect-ratio": `${v.width} / ${v.height}` });
    media.addEventListener("click", open);

    const fav = this.favouriteButton(v.asset_id, item);
    const copy = h("button", { type: "button", class: "btn btn-small" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        toast(await copyImage(url));
      } catch (error) {
        toast(`Copy is not allowed here (${error.message || "clipboard unavailable"}); use Download instead.`, { kind: "error" });
      }
    });
    const seed = h("button", { type: "button", class: "btn btn-small", disabled: v.seed === null }, "Use seed");
    seed.addEventListener("click", () => this.onUseSeed(v.seed));
    const warnings = v.warnings.length
      ? h("ul", { class: "warnings warnings-small" }, v.warnings.map((w) => h("li", {}, humanWarning(w, this.modelName)))) : null;
    return h("li", { class: "var-card", dataset: { assetId: v.asset_id || "" } }, media,
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, `Variation ${v.index + 1}`,
          v.fallback_from ? h("span", { class: "badge" }, "fallback") : null,
          h("span", { class: "badge badge-pick" }, "Picked")),
        h("p", { class: "hint" }, [`${v.width}×${v.height}`, v.seed !== null ? `seed ${v.seed}` : null, v.cost.usd]
          .filter(Boolean).join(" · ")),
        warnings,
        h("div", { class: "var-actions" },
          h("button", { type: "button", class: "btn btn-small", onclick: open }, "Open"),
          downloadLink(url, item.filename, "btn btn-small"),
          copy, fav, seed)));
  }

  favouriteButton(assetId, item) {
    const fav = h("button", { type: "button", class: "btn btn-small fav", "aria-pressed": "false" }, "☆ Favourite");
    fav.addEventListener("click", async () => {
      const next = fav.getAttribute("aria-pressed") !== "true";
      fav.disabled = true;
      try {
        await this.setFavourite(assetId, next);
        item.favourite = next;
        fav.setAttribute("aria-pressed", String(next));
        fav.textContent = next ? "★ Favourite" : "☆ Favourite";
      } catch {
        // already told the user
      } finally {
        fav.disabled = false;
      }
    });
    return fav;
  }
}
