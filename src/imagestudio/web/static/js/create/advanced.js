// Advanced settings: negative prompt, seed, steps/guidance (only where the model takes
// them), overlay text and output format.

import { h, uid } from "../dom.js";

function fmt(n) {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

export class Advanced {
  constructor(store, limits) {
    this.store = store;
    this.limits = limits;
    this.caps = null;
    this.modelName = "";
    const bind = (el, key) => el.addEventListener("input", () => this.store.set({ [key]: el.value }, "ui"));

    this.negative = h("textarea", {
      id: uid("neg"), rows: "2", maxlength: String(limits.negative_prompt_max_chars),
      placeholder: "What to keep out of the image, e.g. text, watermark, blur",
    });
    bind(this.negative, "negativePrompt");
    this.negativeNote = h("p", { class: "hint" });
    this.negativeField = h("div", { class: "field" },
      h("label", { for: this.negative.id }, "Negative prompt"), this.negative, this.negativeNote);

    this.seed = h("input", {
      type: "number", id: uid("seed"), min: "0", max: String(limits.seed_max), step: "1",
      inputmode: "numeric", placeholder: "Random",
    });
    bind(this.seed, "seed");
    this.seedNote = h("p", { class: "hint" });
    this.seedField = h("div", { class: "field" },
      h("label", { for: this.seed.id }, "Seed"), this.seed, this.seedNote);

    this.steps = h("input", { type: "number", id: uid("steps"), step: "1", inputmode: "numeric" });
    bind(this.steps, "steps");
    this.stepsNote = h("p", { class: "hint" });
    this.stepsField = h("div", { class: "field" },
      h("label", { for: this.steps.id }, "Steps"), this.steps, this.stepsNote);

    this.guidance = h("input", { type: "number", id: uid("guidance"), step: "0.5", inputmode: "decimal" });
    bind(this.guidance, "guidance");
    this.guidanceNote = h("p", { class: "hint" });
    this.guidanceField = h("div", { class: "field" },
      h("label", { for: this.guidance.id }, "Guidance scale"), this.guidance, this.guidanceNote);

    this.overlay = h("input", {
      type: "text", id: uid("overlay"), maxlength: String(limits.overlay_text_max_chars),
      placeholder: "Optional headline, e.g. Summer Sale −30%",
    });
    bind(this.overlay, "overlayText");
    this.overlayCount = h("span", { class: "counter" });

    this.format = h("select", { id: uid("format") },
      h("option", { value: "png" }, "PNG (lossless)"),
      h("option", { value: "jpeg" }, "JPEG (smaller, for photos)"),
      h("option", { value: "webp" }, "WebP (smallest, for the web)"));
    this.format.addEventListener("change", () => this.store.set({ outputFormat: this.format.value }, "ui"));

    this.el = h("details", { class: "advanced", id: "advanced" },
      h("summary", {}, "Advanced settings"),
      h("div", { class: "advanced-body" },
        this.negativeField,
        h("div", { class: "grid-2" }, this.seedField, this.stepsField, this.guidanceField),
        h("div", { class: "field" },
          h("div", { class: "label-row" },
            h("label", { for: this.overlay.id }, "Overlay text"), this.overlayCount),
          this.overlay,
          h("p", { class: "hint" }, "Drawn on the finished image inside the template's safe zone.")),
        h("div", { class: "field" }, h("label", { for: this.format.id }, "File format"), this.format)));
    this.sync(store.state);
  }

  /** Show only what `caps` (see capabilitiesOf) says the model accepts. */
  setCapabilities(caps, modelName) {
    this.caps = caps;
    this.modelName = modelName || "the chosen model";
    this.sync(this.store.state);
  }

  sync(state) {
    const caps = this.caps || { known: false, negative: true, seed: true, steps: null, guidance: null };
    const set = (el, value) => {
      if (el.value !== String(value)) el.value = value;
    };
    set(this.negative, state.negativePrompt);
    set(this.seed, state.seed);
    set(this.steps, state.steps);
    set(this.guidance, state.guidance);
    set(this.overlay, state.overlayText);
    this.format.value = state.outputFormat;
    this.overlayCount.textContent = `${state.overlayText.length} / ${this.limits.overlay_text_max_chars}`;

    this.negative.disabled = !caps.negative;
    this.negativeNote.textContent = caps.negative ? ""
      : `${this.modelName} does not take a negative prompt, so none is sent.`;
    this.seed.disabled = !caps.seed;
    this.seedNote.textContent = caps.seed
      ? "Same seed + same settings = the same image. Variations use seed, seed+1, …"
      : `${this.modelName} does not take a seed; results are not reproducible.`;

    this.stepsField.hidden = !caps.steps;
    if (caps.steps) {
      this.steps.min = fmt(caps.steps.min);
      this.steps.max = fmt(caps.steps.max);
      this.steps.placeholder = caps.steps.default != null ? `Default ${fmt(caps.steps.default)}` : "";
      this.stepsNote.textContent = `${fmt(caps.steps.min)}–${fmt(caps.steps.max)} for ${this.modelName}`;
    }
    this.guidanceField.hidden = !caps.guidance;
    if (caps.guidance) {
      this.guidance.min = fmt(caps.guidance.min);
      this.guidance.max = fmt(caps.guidance.max);
      this.guidance.placeholder = caps.guidance.default != null ? `Default ${fmt(caps.guidance.default)}` : "";
      this.guidanceNote.textContent = `${fmt(caps.guidance.min)}–${fmt(caps.guidance.max)} for ${this.modelName}`;
    }
  }

  open() {
    this.el.open = true;
  }

  focusSeed() {
    this.open();
    this.seed.focus();
  }
}
