// The Create Studio: settings on the left, quote and results on the right.

import { debounce, h, replace } from "../dom.js";
import { session } from "../session.js";
import { toast } from "../components/toast.js";
import { Advanced } from "./advanced.js";
import { Controls } from "./controls.js";
import { PromptBox } from "./prompt.js";
import { QuotePanel } from "./quote.js";
import { Results } from "./results.js";
import { Store, capabilitiesOf, createBody, estimateBody, initialState, stateFromRecipe } from "./state.js";
import { TemplatePicker } from "./templates.js";

const QUOTE_KEYS = ["template", "quality", "provider", "model", "variations", "sizeMode", "ratio", "width", "height"];
const PREVIEW_KEYS = [...QUOTE_KEYS, "prompt", "enhance", "style"];
const CONTROL_KEYS = ["template", "quality", "provider", "model", "style", "variations", "sizeMode", "ratio"];

function touches(patch, keys) {
  return keys.some((key) => key in patch);
}

function panel(step, title, ...children) {
  const id = `step-${step}`;
  return h("section", { class: "panel", "aria-labelledby": id },
    h("h2", { class: "panel-title", id }, h("span", { class: "step" }, String(step)), title), ...children);
}

export class CreatePage {
  constructor(api, ctx) {
    this.api = api;
    this.ctx = ctx;
    this.quoteSeq = 0;
    this.previewSeq = 0;
    this.preflightSeq = 0;
    this.quote = null;
    this.quoteError = null;
    this.preflight = null;
    this.generating = false;
    this.el = h("div", { class: "create-page" }, h("p", { class: "boot", role: "status" }, "Loading the studio…"));
    this.ready = this.init().catch((error) => {
      replace(this.el, h("p", { class: "boot boot-error", role: "alert" }, `The studio could not load: ${error.message}`));
      throw error;
    });
  }

  async init() {
    const limits = session.config.limits;
    const [providers, ratios] = await Promise.all([this.api.providers(), this.api.aspectRatios()]);
    this.models = new Map(providers.providers.flatMap((p) => p.models.map((m) => [m.id, m])));
    this.store = new Store(initialState());
    this.picker = new TemplatePicker(this.api, (template) => this.pickTemplate(template));
    await this.picker.load();
    this.prompt = new PromptBox(this.store, limits.prompt_max_chars);
    this.controls = new Controls(this.store, providers.providers, ratios, limits);
    this.advanced = new Advanced(this.store, limits);
    this.quotePanel = new QuotePanel();
    this.results = new Results(this.api, { onUseSeed: (seed) => this.useSeed(seed) });

    this.total = h("span", { class: "action-total", id: "action-total" }, "—");
    this.blocker = h("span", { class: "action-reason", id: "action-reason", "aria-live": "polite" });
    this.button = h("button", { class: "btn btn-primary btn-large", type: "submit", id: "generate",
      "aria-describedby": "action-reason", "aria-keyshortcuts": "Control+Enter",
      title: "Generate (Ctrl+Enter)" }, "Generate");
    const form = h("form", { class: "settings", "aria-label": "Create settings", novalidate: true },
      h("div", { class: "page-head" },
        h("h1", {}, "Create Studio"),
        h("p", { class: "muted" }, "Platform-ready images from one brief. The price is shown before you spend.")),
      panel(1, "Choose a template", this.picker.el),
      panel(2, "Describe the image", this.prompt.el),
      panel(3, "Settings", this.controls.quality.el, this.controls.providerEl, this.controls.styleEl,
        this.controls.variationsEl, this.controls.sizeEl, this.advanced.el),
      h("div", { class: "actionbar" },
        h("div", { class: "action-text" }, this.total, this.blocker), this.button));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.generate();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const tag = event.target.tagName;
      // Enter in a search box or number field must not start a paid generation;
      // Ctrl/⌘+Enter anywhere in the settings does, on purpose.
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        form.requestSubmit();
      } else if (tag === "INPUT" || tag === "SELECT") {
        event.preventDefault();
      }
    });
    replace(this.el, h("div", { class: "studio" }, form,
      h("div", { class: "output" }, this.quotePanel.el, this.results.el)));

    this.scheduleQuote = debounce(() => this.refreshQuote(), 200);
    this.schedulePreview = debounce(() => { this.refreshPreview(); this.refreshPreflight(); }, 400);
    this.store.subscribe((state, patch, source) => this.changed(state, patch, source));
    this.updateCaps();
    this.refreshQuote();
    this.refreshPreflight();
    this.updateActionBar();
  }

  changed(state, patch, source) {
    if (source !== "ui" || touches(patch, CONTROL_KEYS)) this.controls.sync(state);
    this.prompt.sync(state);
    if (source !== "ui" || !touches(patch, ["prompt"])) this.advanced.sync(state);
    if (touches(patch, ["provider", "model"])) this.updateCaps();
    if (touches(patch, QUOTE_KEYS)) this.scheduleQuote();
    if (touches(patch, PREVIEW_KEYS)) this.schedulePreview();
    this.updateActionBar();
  }

  pickTemplate(template) {
    // Never touches provider or model: a template only suggests size, style and quality.
    const state = this.store.state;
    const patch = { template };
    if (template) {
      if (!state.qualityTouched) patch.quality = template.quality;
      patch.sizeMode = "template";
    } else if (state.sizeMode === "template") {
      patch.sizeMode = "ratio";
    }
    this.store.set(patch, "template");
  }

  /** The model that will run: the explicit choice, else the one the quote resolved. */
  effectiveModel() {
    const state = this.store.state;
    if (state.provider !== "auto" && state.model) return this.models.get(state.model) || null;
    return this.quote ? this.models.get(this.quote.model) || null : null;
  }

  updateCaps() {
    const model = this.effectiveModel();
    this.caps = capabilitiesOf(model);
    this.advanced.setCapabilities(this.caps, model ? model.name : "");
    this.prompt.setModelLimit(model ? model.max_prompt_chars : null, model ? model.name : "");
  }

  async refreshQuote() {
    const seq = ++this.quoteSeq;
    const sizeError = this.controls.sizeError(this.store.state);
    if (sizeError) {
      this.quote = null;
      this.quoteError = { message: sizeError };
      this.quotePanel.showError(this.quoteError);
      this.updateActionBar();
      return;
    }
    this.quotePanel.loading();
    try {
      const quote = await this.api.estimate(estimateBody(this.store.state));
      if (seq !== this.quoteSeq) return;
      this.quote = quote;
      this.quoteError = null;
      this.quotePanel.showQuote(quote);
      this.updateCaps();
    } catch (error) {
      if (seq !== this.quoteSeq) return;
      this.quote = null;
      this.quoteError = error;
      this.quotePanel.showError(error);
    }
    this.updateActionBar();
  }

  canPlan() {
    const state = this.store.state;
    return state.prompt.trim() && !this.prompt.tooLong && !this.controls.sizeError(state) && !this.quoteError;
  }

  async refreshPreview() {
    const seq = ++this.previewSeq;
    const state = this.store.state;
    if (!state.enhance || !this.canPlan()) {
      this.prompt.showPreview(null);
      return;
    }
    try {
      const preview = await this.api.promptPreview(createBody(state, this.caps));
      if (seq === this.previewSeq) this.prompt.showPreview(preview);
    } catch (error) {
      if (seq === this.previewSeq) this.prompt.showPreview({ error: error.message });
    }
  }

  async refreshPreflight() {
    if (!session.config.features.preflight) return;
    const seq = ++this.preflightSeq;
    if (!this.canPlan()) {
      this.preflight = null;
      this.quotePanel.showPreflight({ pending: "Type a prompt to check this request against your plan." });
      this.updateActionBar();
      return;
    }
    try {
      const result = await this.api.preflight(createBody(this.store.state, this.caps));
      if (seq !== this.preflightSeq) return;
      this.preflight = result;
      this.quotePanel.showPreflight(result);
    } catch (error) {
      if (seq !== this.preflightSeq) return;
      this.preflight = null;
      this.quotePanel.showPreflight({ error: error.message });
    }
    this.updateActionBar();
  }

  blockerText() {
    const state = this.store.state;
    if (this.generating) return "Generating…";
    if (!state.prompt.trim()) return "Type a prompt to generate.";
    if (this.prompt.tooLong) return `Shorten the prompt to ${this.prompt.limit} characters.`;
    const sizeError = this.controls.sizeError(state);
    if (sizeError) return sizeError;
    if (this.quoteError) return "Fix the settings first (see the cost panel).";
    if (this.preflight && this.preflight.can_proceed === false) {
      const first = (this.preflight.reasons || [])[0];
      return first ? first.message : "Your plan does not allow this request.";
    }
    return "";
  }

  updateActionBar() {
    const n = this.store.state.variations;
    this.total.textContent = this.quote
      ? `${this.quote.total.usd} for ${n} image${n === 1 ? "" : "s"}` : "No price yet";
    const reason = this.blockerText();
    this.blocker.textContent = reason;
    this.button.disabled = Boolean(reason);
    this.button.textContent = this.generating ? "Generating…" : `Generate ${n} image${n === 1 ? "" : "s"}`;
  }

  async generate() {
    if (this.blockerText()) return;
    const state = this.store.state;
    const body = createBody(state, this.caps);
    const label = state.template ? state.template.name
      : `No template · ${this.quote ? `${this.quote.target.width} × ${this.quote.target.height} px` : "custom size"}`;
    const ratio = this.quote ? `${this.quote.target.width} / ${this.quote.target.height}` : "1 / 1";
    this.generating = true;
    this.updateActionBar();
    if (window.matchMedia("(max-width: 960px)").matches) {
      this.results.el.scrollIntoView({ behavior: "smooth", block: "start" });
    }
    try {
      await this.results.run(body, label, ratio);
    } finally {
      this.generating = false;
      this.updateActionBar();
      this.ctx.refreshUsage();
      this.refreshPreflight();
    }
  }

  useSeed(seed) {
    this.store.set({ seed: String(seed) }, "seed");
    this.advanced.focusSeed();
    toast(`Seed ${seed} is set: generate again to get this image's twin with new settings.`);
  }

  /** Settings handed over by the library ("generate again with these settings"). */
  receive(recipe) {
    this.ready.then(() => {
      const patch = stateFromRecipe(recipe, this.picker.templates);
      this.picker.select(patch.template);
      this.store.set(patch, "recipe");
      if (patch.seed || patch.negativePrompt || patch.steps || patch.guidance || patch.overlayText) {
        this.advanced.open();
      }
      toast("Settings loaded from your library. Review them and press Generate.");
    }).catch(() => {});
  }

  onShow() {}
}
