// Results: one card per requested variation. The create call is synchronous, so every card
// shows honest indeterminate progress until the response arrives; then each card shows its
// image or its own error.

import {
  downloadLink, extensionOf, fileName, formatDate, h, pluralize, replace, setStyles, shorten, studioUrl,
} from "../dom.js";
import { openLightbox } from "../components/lightbox.js";
import { toast, toastError } from "../components/toast.js";
import { refusalHint } from "../usage.js";

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
  constructor(api, { onUseSeed }) {
    this.api = api;
    this.onUseSeed = onUseSeed;
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
    const section = h("section", { class: "run card", "aria-busy": "true" },
      h("div", { class: "run-head" }, h("h3", {}, label), h("span", { class: "muted" }, formatDate(new Date().toISOString()))),
      status, grid);
    this.runs.prepend(section);
    this.live.textContent = `Generating ${pluralize(total, "variation")}.`;
    try {
      const result = await this.api.create(body);
      this.renderResult(section, status, grid, result);
      return result;
    } catch (error) {
      this.renderFailure(section, status, grid, error, total);
      return null;
    } finally {
      clearInterval(timer);
      section.removeAttribute("aria-busy");
    }
  }

  renderResult(section, status, grid, result) {
    const ok = result.num_succeeded;
    const failed = result.num_failed;
    status.textContent = failed
      ? `${ok} of ${result.num_requested} variations ready, ${failed} failed · cost ${result.cost.usd}`
      : `${pluralize(ok, "variation")} ready · cost ${result.cost.usd}`;
    status.classList.toggle("run-partial", failed > 0);
    this.live.textContent = status.textContent;
    const extras = [];
    if (result.enhanced_prompt) {
      extras.push(h("details", { class: "sent-prompt" }, h("summary", {}, "Prompt sent to the model"),
        h("p", {}, result.enhanced_prompt)));
    }
    if (result.warnings.length) {
      extras.push(h("ul", { class: "warnings", "aria-label": "Warnings from the studio" },
        result.warnings.map((w) => h("li", {}, w))));
    }
    status.after(...extras);
    replace(grid, result.variations.map((v) => (v.status === "succeeded"
      ? this.successCard(v, result) : this.failedCard(v, result.num_requested))));
  }

  renderFailure(section, status, grid, error, total) {
    status.textContent = `Generation failed: ${error.message}`;
    status.classList.add("run-failed");
    status.setAttribute("role", "alert");
    this.live.textContent = "";
    const hint = refusalHint(error.status);
    if (hint) status.after(h("p", { class: "hint run-hint" }, hint));
    const perVariation = (error.details && error.details.variations) || [];
    if (!perVariation.length) {
      grid.remove();
      return;
    }
    replace(grid, perVariation.map((v) => this.failedCard({ index: v.index, error: v, provider: v.provider }, total)));
  }

  failedCard(variation, total) {
    const error = variation.error || { message: "unknown error", code: "error" };
    return h("li", { class: "var-card var-failed" },
      h("div", { class: "var-media var-error" },
        h("span", { class: "var-error-icon", "aria-hidden": "true" }, "!"),
        h("p", {}, error.message)),
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, `Variation ${variation.index + 1} of ${total} failed`),
        h("p", { class: "hint" }, [error.code, variation.provider].filter(Boolean).join(" · "))));
  }

  successCard(v, result) {
    const url = studioUrl(v.url);
    const alt = `Variation ${v.index + 1} of ${result.num_requested}: ${shorten(result.prompt, 120)}`;
    const filename = fileName(result.prompt, v.seed ?? v.index + 1, extensionOf(v.media_type));
    const open = () => openLightbox({
      url, alt, title: `Variation ${v.index + 1}`, filename,
      facts: [["Size", `${v.width} × ${v.height} px`], ["Model", v.model], ["Provider", v.provider],
        ["Seed", v.seed], ["Cost", v.cost.usd], ["Fallback from", v.fallback_from]],
    });
    const image = h("img", { src: url, alt, loading: "lazy", decoding: "async", width: v.width, height: v.height });
    const media = h("button", { type: "button", class: "var-media var-open", "aria-label": `Open variation ${v.index + 1} full size` }, image);
    setStyles(media, { "aspect-ratio": `${v.width} / ${v.height}` });
    media.addEventListener("click", open);

    const fav = this.favouriteButton(v.asset_id);
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
      ? h("ul", { class: "warnings warnings-small" }, v.warnings.map((w) => h("li", {}, w))) : null;
    return h("li", { class: "var-card", dataset: { assetId: v.asset_id || "" } }, media,
      h("div", { class: "var-body" },
        h("p", { class: "var-title" }, `Variation ${v.index + 1}`,
          v.fallback_from ? h("span", { class: "badge" }, "fallback") : null),
        h("p", { class: "hint" }, [`${v.width}×${v.height}`, v.seed !== null ? `seed ${v.seed}` : null, v.cost.usd]
          .filter(Boolean).join(" · ")),
        warnings,
        h("div", { class: "var-actions" },
          h("button", { type: "button", class: "btn btn-small", onclick: open }, "Open"),
          downloadLink(url, filename, "btn btn-small"),
          copy, fav, seed)));
  }

  favouriteButton(assetId) {
    const fav = h("button", { type: "button", class: "btn btn-small fav", "aria-pressed": "false" }, "☆ Favourite");
    fav.addEventListener("click", async () => {
      const next = fav.getAttribute("aria-pressed") !== "true";
      fav.disabled = true;
      try {
        await this.api.updateAsset(assetId, { favourite: next });
        fav.setAttribute("aria-pressed", String(next));
        fav.textContent = next ? "★ Favourite" : "☆ Favourite";
        toast(next ? "Added to favourites." : "Removed from favourites.");
      } catch (error) {
        toastError(error, "Could not update the favourite");
      } finally {
        fav.disabled = false;
      }
    });
    return fav;
  }
}
