// The Upscale panel of an image's detail view: local resampling (×2, ×4 or to a size;
// free, not AI) or a vendor's AI upscaler from GET /upscale/modes, each shown with its
// price and the input sizes it takes; a live quote from POST /upscale/quote (what the
// upscale will hold and capture, refused before any money moves when the image does not
// fit); then the run, and the result: a new image in the library linked to this one.

import { debounce, h, replace, studioUrl, uid } from "../dom.js";
import { explainBlock } from "../errors/explain.js";

const LOCAL = "local";
const num = (n) => Number(n).toLocaleString("en-US");

function row(label, control) {
  return h("div", { class: "stack-tight" }, h("label", { for: control.id }, label), control);
}

function priceText(mode) {
  return mode.price.micros === 0 ? "free" : `${mode.price.usd} per image`;
}

/** What `mode` takes, and whether `asset` fits. */
function limitsText(mode, asset) {
  const lim = mode.input;
  const parts = [`sides ${num(lim.min_side)}–${num(lim.max_side)} px`,
    `${num(lim.min_pixels)}–${num(lim.max_pixels)} pixels`];
  if (lim.min_aspect !== null && lim.max_aspect !== null) {
    parts.push(`aspect ${lim.min_aspect}–${lim.max_aspect}`);
  }
  const [w, h2] = [asset.width, asset.height];
  const fits = Math.min(w, h2) >= lim.min_side && Math.max(w, h2) <= lim.max_side &&
    w * h2 >= lim.min_pixels && w * h2 <= lim.max_pixels &&
    (lim.min_aspect === null || (w / h2 >= lim.min_aspect && w / h2 <= lim.max_aspect));
  return `Takes images with ${parts.join(", ")}; this one is ${w} × ${h2}` +
    (fits ? " (fits)." : " (does not fit).");
}

function outputText(mode) {
  const [kind, value] = mode.output.split(":");
  if (kind === "scale") return `Makes ×${value} each side.`;
  if (kind === "pixels") return `Makes about ${(Number(value) / 1e6).toFixed(1)} megapixels.`;
  if (kind === "long_side") return `Makes ${num(value)} px on the long side.`;
  return "You choose ×2, ×4 or a size.";
}

/** The panel for image `asset`; `onAdded()` runs when the upscaled image lands. */
export function upscalePanel(api, asset, onAdded) {
  const mode = h("select", { id: uid("umode") },
    h("option", { value: LOCAL, selected: true }, "Local resampling (free, not AI)"));
  const size = h("select", { id: uid("usize") },
    h("option", { value: "2" }, "×2"), h("option", { value: "4" }, "×4"),
    h("option", { value: "size" }, "To a size"));
  const width = h("input", { type: "number", id: uid("uwidth"), min: "1", max: "8192",
    placeholder: String(asset.width * 2) });
  const height = h("input", { type: "number", id: uid("uheight"), min: "1", max: "8192",
    placeholder: "keeps the aspect" });
  const sizeRow = row("Enlarge", size);
  const dims = h("div", { class: "stack-tight", hidden: true },
    row("Width (px)", width), row("Height (px)", height));
  const about = h("p", { class: "hint", "data-role": "mode-about" });
  const quote = h("p", { class: "hint", "aria-live": "polite", "data-role": "upscale-quote" });
  const button = h("button", { type: "submit", class: "btn" }, "Upscale");
  const status = h("div", { role: "status", class: "upscale-status" });
  const form = h("form", { class: "stack-tight", "aria-label": "Upscale this image" },
    h("h3", {}, "Upscale"), row("Upscale with", mode), about, sizeRow, dims, quote, button,
    status);
  let modes = {};

  const isLocal = () => mode.value === LOCAL;
  function body() {
    const out = { asset_id: asset.id, mode: mode.value };
    if (!isLocal()) return out;
    if (size.value !== "size") return { ...out, scale: Number(size.value) };
    if (width.value) out.width = Number(width.value);
    if (height.value) out.height = Number(height.value);
    return out;
  }
  function showFields() {
    sizeRow.hidden = !isLocal();
    dims.hidden = !isLocal() || size.value !== "size";
    const chosen = modes[mode.value];
    if (!chosen) return;
    about.textContent = `${chosen.label}. ${priceText(chosen)[0].toUpperCase()}` +
      `${priceText(chosen).slice(1)}. ${outputText(chosen)} ${limitsText(chosen, asset)}`;
  }

  let asking = null;
  const refreshQuote = debounce(async () => {
    if (asking) asking.abort();
    asking = new AbortController();
    const wanted = body();
    if (isLocal() && size.value === "size" && !wanted.width && !wanted.height) {
      quote.textContent = "Give a width or a height.";
      button.disabled = true;
      return;
    }
    try {
      const q = await api.upscaleQuote(wanted, asking.signal);
      const price = q.quote.micros === 0 ? "Free" : q.quote.usd;
      quote.textContent = `${price} · makes ${q.width} × ${q.height} px` +
        (q.check.can_proceed ? "" : ` · ${q.check.reasons.map((r) => r.message).join("; ")}`);
      button.disabled = !q.check.can_proceed;
    } catch (error) {
      if (error.code === "aborted") return;
      quote.textContent = error.message;
      button.disabled = true;
    }
  }, 250);

  api.upscaleModes().then((list) => {
    modes = Object.fromEntries(list.map((m) => [m.id, m]));
    replace(mode, list.map((m) => h("option", { value: m.id, selected: m.id === LOCAL,
      disabled: !m.available },
    m.id === LOCAL ? "Local resampling (free, not AI)"
      : `${m.label.split(":")[0]}, ${priceText(m)}${m.available ? "" : " (not configured)"}`)));
    showFields();
    refreshQuote();
  }).catch((error) => { quote.textContent = error.message; });
  for (const control of [mode, size, width, height]) {
    control.addEventListener("change", () => { showFields(); refreshQuote(); });
    control.addEventListener("input", refreshQuote);
  }
  showFields();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    const chosen = modes[mode.value];
    replace(status, h("p", { class: "hint" },
      chosen && chosen.ai ? `Sent to ${chosen.label.split(":")[0]}…` : "Upscaling…"));
    try {
      const made = await api.upscale(body());
      const cost = made.cost_micros ? ` for $${(made.cost_micros / 1e6).toFixed(2)}` : ", free";
      replace(status,
        h("p", { "data-role": "upscale-done" },
          `Upscaled to ${made.width} × ${made.height} px${cost}` +
          `${made.ai ? "" : " (resampled, not AI)"}. Saved to your library as a new image ` +
          "linked to this one."),
        h("a", { href: studioUrl(made.url), target: "_blank", rel: "noopener",
          class: "btn btn-small" }, "View the upscaled image"));
      if (onAdded) onAdded();
    } catch (error) {
      replace(status, explainBlock(error, { compact: true }));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
