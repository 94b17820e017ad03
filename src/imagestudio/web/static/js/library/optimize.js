// "Optimize for platforms": pick platforms, drag the focal point on the source and watch
// every target's crop update (small previews at true aspect, safe zone overlaid), choose
// how targets bigger than the source get their pixels (enlarge, local upscale or a
// vendor's AI upscale, quoted as one total by POST /optimize/quote), then create the
// renditions and download the set as a zip.

import { debounce, h, replace, saveBlob, studioUrl, uid } from "../dom.js";
import { openDialog } from "../components/dialog.js";
import { toast, toastError } from "../components/toast.js";
import { session } from "../session.js";

const DEFAULT_PLATFORMS = ["instagram", "linkedin", "youtube", "pinterest", "email"];
// the vendor modes an optimize request takes (not stability/creative: it can outlast it)
const VENDOR_UPSCALES = ["stability/fast", "stability/conservative", "wavespeed/image-upscaler"];
const PREVIEW_PX = 160; // the long side a preview is drawn at

function pct(value) { return `${(value * 100).toFixed(2)}%`; }

/** One target: its preview at true aspect, the safe zone as an outlined inner box. */
function previewCard(p) {
  const scale = PREVIEW_PX / Math.max(p.width, p.height);
  const [top, bottom, left, right] = p.safe_zone;
  const frame = h("div", {
    class: "opt-frame",
    style: { width: `${Math.round(p.width * scale)}px`, height: `${Math.round(p.height * scale)}px` },
  },
  h("img", { src: p.image, alt: `${p.template_id} preview`, class: "opt-img" }),
  h("div", {
    class: "opt-safe", "aria-hidden": "true",
    style: { top: pct(top), bottom: pct(bottom), left: pct(left), right: pct(right) },
  }));
  const warn = p.subject_in_safe_zone === false
    ? h("span", { class: "opt-warn" }, "subject outside the safe zone") : null;
  return h("figure", { class: "opt-card", "data-template": p.template_id }, frame,
    h("figcaption", {}, h("strong", {}, p.template_id), ` ${p.width} × ${p.height}`, warn));
}

class Optimizer {
  constructor(asset, ctx) {
    this.asset = asset;
    this.api = ctx.api;
    this.onDone = ctx.onDone;
    const focal = asset.focal_point;
    this.focal = focal ? { x: focal[0], y: focal[1] } : null;
    const dialog = openDialog(`Optimize for platforms`, { className: "dialog-wide optimizer" });
    this.body = dialog.body;
    this.previews = h("div", { class: "opt-grid", "aria-live": "polite" });
    this.status = h("p", { class: "hint" });
    this.result = h("div", { class: "opt-result" });
    this.upscale = h("select", { id: uid("optup") },
      h("option", { value: "none" }, "Enlarge them (free)"),
      h("option", { value: "local" }, "Upscale locally first (free, not AI)"));
    this.quote = h("p", { class: "hint", "aria-live": "polite", "data-role": "opt-quote" });
    this.refresh = debounce(() => { this.preview(); this.price(); }, 150);
  }

  platforms() {
    return [...this.body.querySelectorAll("input[name=opt-platform]:checked")].map((i) => i.value);
  }

  request() {
    const body = { asset_id: this.asset.id, platforms: this.platforms() };
    if (this.focal) body.focal = this.focal;
    if (this.upscale.value !== "none") body.upscale = this.upscale.value;
    return body;
  }

  /** The vendor modes, with their prices, as choices of the upscale step. */
  async loadUpscales() {
    try {
      const modes = await this.api.upscaleModes();
      for (const m of modes.filter((x) => VENDOR_UPSCALES.includes(x.id))) {
        this.upscale.append(h("option", { value: m.id, disabled: !m.available },
          `${m.label.split(":")[0]} first, ${m.price.usd}` +
          (m.available ? "" : " (not configured)")));
      }
    } catch (error) {
      this.quote.textContent = error.message;
    }
  }

  /** The request's one total (nothing unless a vendor upscale runs) and which targets
   * need more pixels than the source has. */
  async price() {
    if (!this.platforms().length) return;
    try {
      const q = await this.api.optimizeQuote(this.request());
      const short = q.short.length
        ? `${q.short.length} target${q.short.length > 1 ? "s" : ""} need more pixels than the source has`
        : "Every target fits the source's pixels";
      this.quote.textContent = `${q.quote.micros ? q.quote.usd : "Free"} · ${short}` +
        (q.check.can_proceed ? "" : ` · ${q.check.reasons.map((r) => r.message).join("; ")}`);
    } catch (error) {
      this.quote.textContent = error.message;
    }
  }

  async preview() {
    if (!this.platforms().length) {
      replace(this.previews, h("p", { class: "hint" }, "Choose at least one platform."));
      return;
    }
    this.status.textContent = "Updating previews…";
    try {
      const answer = await this.api.optimizePreview(this.request());
      replace(this.previews, answer.previews.map(previewCard));
      this.status.textContent = `${answer.previews.length} targets, previewed in ${Math.round(answer.render_ms)} ms`;
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  /** The source with a marker the user drags (or moves with the arrow keys). */
  focalPicker() {
    const marker = h("button", {
      type: "button", class: "opt-marker", "aria-label": "Focal point (drag, or use the arrow keys)",
    });
    const img = h("img", { src: studioUrl(this.asset.url), alt: "Source image", class: "opt-source-img", draggable: "false" });
    const box = h("div", { class: "opt-source" }, img, marker);
    const place = () => {
      const f = this.focal || { x: 0.5, y: 0.5 };
      marker.style.left = pct(f.x);
      marker.style.top = pct(f.y);
    };
    const set = (x, y) => {
      this.focal = { x: Math.min(1, Math.max(0, x)), y: Math.min(1, Math.max(0, y)) };
      place();
      this.refresh();
    };
    const fromEvent = (event) => {
      const r = img.getBoundingClientRect();
      set((event.clientX - r.left) / r.width, (event.clientY - r.top) / r.height);
    };
    box.addEventListener("pointerdown", (event) => {
      box.setPointerCapture(event.pointerId);
      fromEvent(event);
      const move = (e) => fromEvent(e);
      const up = () => { box.removeEventListener("pointermove", move); box.removeEventListener("pointerup", up); };
      box.addEventListener("pointermove", move);
      box.addEventListener("pointerup", up);
    });
    marker.addEventListener("keydown", (event) => {
      const step = 0.05;
      const f = this.focal || { x: 0.5, y: 0.5 };
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const d = moves[event.key];
      if (!d) return;
      event.preventDefault();
      set(f.x + d[0], f.y + d[1]);
    });
    place();
    return box;
  }

  async commit(button) {
    button.disabled = true;
    this.status.textContent = "Creating renditions…";
    try {
      const made = await this.api.optimize(this.request());
      const zip = h("button", { type: "button", class: "btn btn-primary" }, "Download zip");
      zip.addEventListener("click", async () => {
        try {
          saveBlob(await this.api.optimizeZip(made.set_id), `optimize-${made.set_id}.zip`);
        } catch (error) {
          toastError(error, "Could not download the set");
        }
      });
      replace(this.result,
        h("p", {}, `${made.renditions.length} renditions saved to your library (set ${made.set_id})` +
          (made.upscaled ? `, cut from a ${made.upscaled.width} × ${made.upscaled.height} ` +
            `${made.upscaled.mode} upscale for $${(made.cost_micros / 1e6).toFixed(2)}` : "") + "."),
        h("ul", { class: "opt-list" }, made.renditions.map((r) => h("li", {},
          `${r.template_id}: ${r.width} × ${r.height} ${r.format}, ${Math.round(r.bytes / 1000)} kB` +
          (r.quality ? `, quality ${r.quality}` : "")))),
        zip);
      this.status.textContent = "";
      toast("Renditions created.");
      if (this.onDone) this.onDone();
    } catch (error) {
      this.status.textContent = error.message;
      toastError(error, "Could not optimize");
    } finally {
      button.disabled = false;
    }
  }

  show() {
    const platforms = (session.catalog ? session.catalog.platforms : []).map((p) => {
      const input = h("input", { type: "checkbox", name: "opt-platform", value: p.id,
        checked: DEFAULT_PLATFORMS.includes(p.id) });
      input.addEventListener("change", () => this.refresh());
      return h("label", { class: "check-row" }, input, ` ${p.name}`);
    });
    const commit = h("button", { type: "button", class: "btn btn-primary" }, "Create renditions");
    commit.addEventListener("click", () => this.commit(commit));
    this.upscale.addEventListener("change", () => this.price());
    this.loadUpscales();
    this.body.append(
      h("div", { class: "opt-layout" },
        h("div", { class: "opt-side" },
          h("fieldset", { class: "opt-platforms" }, h("legend", {}, "Platforms"), platforms),
          h("p", { class: "hint" }, "Drag the marker to the subject: every crop follows it."),
          this.focalPicker(),
          h("div", { class: "stack-tight" },
            h("label", { for: this.upscale.id }, "Targets bigger than the source"), this.upscale),
          this.quote, commit, this.status),
        h("div", {}, this.previews, this.result)));
    this.preview();
    this.price();
  }
}

/** `ctx`: {api, onDone()}. */
export function openOptimizer(asset, ctx) {
  new Optimizer(asset, ctx).show();
}
