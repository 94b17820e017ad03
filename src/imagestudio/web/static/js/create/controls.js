// Quality, provider/model, style, variations and size controls, bound to the store.

import { h, replace, uid } from "../dom.js";
import { session } from "../session.js";

function radioGroup(name, legend, options, onChange, className = "") {
  const group = uid(name);
  const inputs = [];
  const items = options.map((option) => {
    const id = uid(name);
    const input = h("input", { type: "radio", name: group, id, value: option.value, class: "seg-radio" });
    input.addEventListener("change", () => input.checked && onChange(option.value));
    inputs.push(input);
    return h("div", { class: "seg-option" }, input,
      h("label", { for: id, class: "seg-card" },
        h("span", { class: "seg-title" }, option.title),
        option.text ? h("span", { class: "seg-text" }, option.text) : null));
  });
  const fieldset = h("fieldset", { class: `seg ${className}`.trim() },
    h("legend", {}, legend), h("div", { class: "seg-options" }, items));
  return { el: fieldset, inputs };
}

export class Controls {
  /** `plan`: GET /usage's limits (max_variations, quality_tiers), or null when unknown. */
  constructor(store, providers, ratios, limits, plan = null) {
    this.store = store;
    this.providers = providers;
    this.ratios = ratios;
    this.limits = limits;
    this.plan = plan;
    this.quality = this.buildQuality();
    this.providerEl = this.buildProvider();
    this.styleEl = this.buildStyle();
    this.variationsEl = this.buildVariations();
    this.sizeEl = this.buildSize();
    this.sync(store.state);
  }

  buildQuality() {
    const tiers = session.catalog.quality_tiers;
    const included = (id) => !this.plan || this.plan.quality_tiers.includes(id);
    return radioGroup("quality", "Quality",
      tiers.map((t) => ({ value: t.id, title: t.name,
        text: included(t.id) ? t.description : `${t.description} Not in your plan.` })),
      (value) => this.store.set({ quality: value, qualityTouched: true }, "ui"), "seg-3");
  }

  buildProvider() {
    this.providerSelect = h("select", { id: uid("provider") });
    this.providerSelect.append(h("option", { value: "auto" }, "Auto — best configured model for the quality"));
    const unavailable = [];
    for (const p of this.providers) {
      const reason = p.available ? "" : "not set up on this studio";
      if (!p.available) unavailable.push(h("li", {}, h("strong", {}, p.name), ` — ${reason}`));
      this.providerSelect.append(h("option", { value: p.id, disabled: !p.available },
        p.available ? p.name : `${p.name} — ${reason}`));
    }
    this.providerSelect.addEventListener("change", () => {
      this.store.set({ provider: this.providerSelect.value, model: "" }, "ui");
    });
    this.modelSelect = h("select", { id: uid("model") });
    this.modelSelect.addEventListener("change", () => {
      this.store.set({ model: this.modelSelect.value }, "ui");
    });
    this.modelField = h("div", { class: "field" },
      h("label", { for: this.modelSelect.id }, "Model"), this.modelSelect);
    const why = unavailable.length
      ? h("details", { class: "why" },
        h("summary", {}, `Why are ${unavailable.length} providers unavailable?`),
        h("ul", { class: "plain-list" }, unavailable),
        h("p", { class: "hint" }, "Your admin can set them up on the studio's server."),
        h("details", { class: "explain-details" }, h("summary", {}, "Details for your admin"),
          h("ul", { class: "plain-list" }, this.providers.filter((p) => !p.available)
            .map((p) => h("li", {}, `${p.name}: set ${p.key_env} and restart the server`)))))
      : null;
    return h("div", { class: "stack-tight provider-controls" },
      h("div", { class: "field" }, h("label", { for: this.providerSelect.id }, "Provider"),
        this.providerSelect),
      this.modelField, why);
  }

  renderModels(state) {
    const provider = this.providers.find((p) => p.id === state.provider);
    this.modelField.hidden = !provider;
    if (!provider) return;
    const options = [h("option", { value: "" }, "Best for the chosen quality")];
    for (const m of provider.models) {
      const label = m.deprecated ? `${m.name} (deprecated)` : m.name;
      options.push(h("option", { value: m.id }, label));
    }
    replace(this.modelSelect, options);
    this.modelSelect.value = state.model;
  }

  buildStyle() {
    this.styleSelect = h("select", { id: uid("style") });
    this.styleSelect.addEventListener("change", () => {
      this.store.set({ style: this.styleSelect.value }, "ui");
    });
    this.styleHint = h("p", { class: "hint" });
    this.stylePreviews = h("div", { class: "style-previews", role: "group", "aria-label": "Style samples" });
    return h("div", { class: "field" },
      h("label", { for: this.styleSelect.id }, "Style preset"), this.styleSelect, this.stylePreviews, this.styleHint);
  }

  /** Small samples per style, drawn by the studio's offline renderer; a click picks the style. */
  async loadStylePreviews(api) {
    let styles = [];
    try {
      styles = (await api.stylePreviews()).styles;
    } catch {
      return;
    }
    replace(this.stylePreviews, styles.map((s) => {
      const button = h("button", { type: "button", class: "style-sample", dataset: { style: s.id },
        "aria-pressed": String(this.store.state.style === s.id), title: s.name },
      h("img", { src: s.image, alt: "", width: 48, height: 48 }), h("span", {}, s.name));
      button.addEventListener("click", () => this.store.set({ style: s.id }, "ui"));
      return button;
    }));
  }

  renderStyles(state) {
    const template = state.template;
    const defaultLabel = template
      ? `Template default (${session.styleName(template.style_preset)})` : "None";
    replace(this.styleSelect, h("option", { value: "" }, defaultLabel),
      session.catalog.styles.map((s) => h("option", { value: s.id }, s.name)));
    this.styleSelect.value = state.style;
    for (const b of this.stylePreviews ? this.stylePreviews.children : []) {
      b.setAttribute("aria-pressed", String(b.dataset.style === state.style));
    }
  }

  buildVariations() {
    const max = Math.min(this.limits.max_variations, this.plan ? this.plan.max_variations : Infinity);
    this.range = h("input", { type: "range", id: uid("variations"), min: "1", max: String(max), step: "1" });
    this.rangeOut = h("output", { for: this.range.id, class: "range-out" });
    this.range.addEventListener("input", () => {
      this.store.set({ variations: Number(this.range.value) }, "ui");
    });
    return h("div", { class: "field" },
      h("div", { class: "label-row" },
        h("label", { for: this.range.id }, `Variations (1–${max})`), this.rangeOut),
      this.range,
      max < this.limits.max_variations ? h("p", { class: "hint" }, `Your plan makes up to ${max} per request.`) : null);
  }

  buildSize() {
    const { min_side: min, max_side: max } = this.limits;
    this.sizeModes = radioGroup("size", "Size", [
      { value: "template", title: "Template size" },
      { value: "ratio", title: "Aspect ratio" },
      { value: "custom", title: "Custom pixels" },
    ], (value) => this.store.set({ sizeMode: value }, "ui"), "seg-3 seg-compact");
    this.ratioSelect = h("select", { id: uid("ratio") },
      this.ratios.map((r) => h("option", { value: r.exact },
        `${r.name} — ${r.label} (${r.width}×${r.height})`)));
    this.ratioSelect.addEventListener("change", () => {
      this.store.set({ ratio: this.ratioSelect.value }, "ui");
    });
    const side = (label, key) => {
      const input = h("input", {
        type: "number", id: uid(key), min: String(min), max: String(max), step: "1", inputmode: "numeric",
      });
      input.addEventListener("input", () => this.store.set({ [key]: input.value }, "ui"));
      return { input, el: h("div", { class: "field" }, h("label", { for: input.id }, label), input) };
    };
    this.widthInput = side("Width (px)", "width");
    this.heightInput = side("Height (px)", "height");
    this.ratioField = h("div", { class: "field" },
      h("label", { for: this.ratioSelect.id }, "Aspect ratio"), this.ratioSelect);
    this.customField = h("div", { class: "grid-2" }, this.widthInput.el, this.heightInput.el,
      h("p", { class: "hint span-2" }, `Each side ${min}–${max} px.`));
    this.templateSize = h("p", { class: "hint" });
    return h("div", { class: "size-controls" }, this.sizeModes.el, this.templateSize,
      this.ratioField, this.customField);
  }

  sizeError(state) {
    if (state.sizeMode !== "custom") return "";
    const { min_side: min, max_side: max } = this.limits;
    for (const [name, value] of [["Width", state.width], ["Height", state.height]]) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) return `${name} must be a whole number from ${min} to ${max}.`;
    }
    return "";
  }

  sync(state) {
    for (const input of this.quality.inputs) input.checked = input.value === state.quality;
    this.providerSelect.value = state.provider;
    this.renderModels(state);
    this.renderStyles(state);
    this.range.value = String(state.variations);
    this.rangeOut.textContent = String(state.variations);
    const template = state.template;
    for (const input of this.sizeModes.inputs) {
      input.checked = input.value === state.sizeMode;
      if (input.value === "template") input.disabled = !template;
    }
    this.templateSize.hidden = state.sizeMode !== "template";
    this.templateSize.textContent = template
      ? `${template.width} × ${template.height} px from ${template.name}.` : "";
    if (![...this.ratioSelect.options].some((o) => o.value === state.ratio)) {
      this.ratioSelect.append(h("option", { value: state.ratio }, state.ratio));
    }
    this.ratioSelect.value = state.ratio;
    this.ratioField.hidden = state.sizeMode !== "ratio";
    this.customField.hidden = state.sizeMode !== "custom";
    if (this.widthInput.input.value !== String(state.width)) this.widthInput.input.value = state.width;
    if (this.heightInput.input.value !== String(state.height)) this.heightInput.input.value = state.height;
    this.styleHint.textContent = state.style || template
      ? "Used by models with a style setting, and by prompt enhancement." : "";
  }
}
