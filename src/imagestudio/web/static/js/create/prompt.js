// The prompt box: a character limit with a live counter (a longer paste is kept, its
// overflow shown, and Generate waits until it fits), and the enhancement toggle with a
// preview of the exact prompt the model will receive.

import { h, uid } from "../dom.js";
import { plural } from "../plural.js";

export class PromptBox {
  constructor(store, limit) {
    this.store = store;
    this.baseLimit = limit;
    this.limit = limit;
    this.limitReason = "";
    this.textarea = h("textarea", {
      id: uid("prompt"), rows: "5", required: true,
      placeholder: "Describe the image: subject, setting, mood, colours…",
    });
    this.counter = h("span", { class: "counter", id: uid("count") });
    this.announce = h("span", { class: "sr-only", "aria-live": "polite" });
    this.limitNote = h("p", { class: "hint hint-warn", hidden: true });
    this.overflow = h("div", { class: "overflow", id: uid("overflow"), hidden: true });
    this.textarea.setAttribute("aria-describedby", `${this.counter.id}`);
    this.textarea.addEventListener("input", () => {
      this.store.set({ prompt: this.textarea.value }, "ui");
    });

    this.toggle = h("input", { type: "checkbox", id: uid("enhance"), role: "switch", checked: true });
    this.toggle.addEventListener("change", () => {
      this.store.set({ enhance: this.toggle.checked }, "ui");
    });
    this.preview = h("div", { class: "enhanced", "aria-live": "polite" });

    this.el = h("div", { class: "prompt-box" },
      h("div", { class: "field" },
        h("div", { class: "label-row" },
          h("label", { for: this.textarea.id }, "Prompt"), this.counter),
        this.textarea, this.limitNote, this.overflow, this.announce),
      h("div", { class: "switch-row" },
        this.toggle,
        h("label", { for: this.toggle.id },
          h("span", { class: "switch-label" }, "Enhance prompt"),
          h("span", { class: "hint" }, "Adds the style's wording; you see the result before generating"))),
      this.preview);
    this.sync(store.state);
  }

  /** Lower the limit for a model that accepts fewer characters (never above the API's). */
  setModelLimit(maxChars, modelName) {
    const limit = Math.min(this.baseLimit, maxChars || this.baseLimit);
    this.limit = limit;
    this.limitReason = limit < this.baseLimit ? `${modelName} accepts at most ${limit} characters` : "";
    this.sync(this.store.state);
  }

  get tooLong() {
    return this.store.state.prompt.length > this.limit;
  }

  sync(state) {
    if (this.textarea.value !== state.prompt) this.textarea.value = state.prompt;
    this.toggle.checked = state.enhance;
    const length = state.prompt.length;
    this.counter.textContent = `${length} / ${this.limit}`;
    const near = length >= this.limit * 0.9;
    this.counter.classList.toggle("counter-near", near && length <= this.limit);
    this.counter.classList.toggle("counter-over", length > this.limit);
    this.textarea.setAttribute("aria-invalid", String(length > this.limit));
    const left = this.limit - length;
    const message = left < 0 ? `${-left} characters over the limit`
      : near ? `${left} characters left` : "";
    if (this.announce.textContent !== message) this.announce.textContent = message;
    this.limitNote.hidden = !(this.limitReason && length > this.limit);
    this.limitNote.textContent = this.limitReason
      ? `Shorten the prompt: ${this.limitReason}.` : "";
    this.showOverflow(state.prompt);
    if (!state.enhance) this.showPreview(null);
  }

  /** Past the limit: say by how much, show the text that does not fit, offer to cut it. */
  showOverflow(prompt) {
    const over = prompt.length - this.limit;
    this.overflow.hidden = over <= 0;
    this.textarea.setAttribute("aria-describedby", over > 0
      ? `${this.counter.id} ${this.overflow.id}` : this.counter.id);
    if (over <= 0) return;
    const cut = h("button", { type: "button", class: "btn btn-small" }, `Cut the last ${plural(over, "character")}`);
    cut.addEventListener("click", () => this.store.set({ prompt: prompt.slice(0, this.limit) }, "fit"));
    this.overflow.replaceChildren(
      h("p", {}, h("strong", {}, `${plural(over, "character")} over the limit of ${this.limit}. `),
        "Nothing was cut: shorten the prompt to generate. This part does not fit:"),
      h("p", { class: "overflow-text" }, prompt.slice(this.limit)), cut);
  }

  /** `preview`: the /ui/prompt-preview answer, null to hide, or {error}. */
  showPreview(preview) {
    this.preview.replaceChildren();
    if (!preview) {
      this.preview.hidden = true;
      return;
    }
    this.preview.hidden = false;
    if (preview.error) {
      this.preview.append(h("p", { class: "form-error" }, preview.error));
      return;
    }
    const title = preview.enhanced
      ? `Enhanced prompt (${preview.style ? preview.style.name : "style"} style) — this is what the model receives`
      : "No style applies, so the prompt is sent as written";
    this.preview.append(h("p", { class: "enhanced-title" }, title));
    if (preview.enhanced) this.preview.append(h("p", { class: "enhanced-text" }, preview.prompt));
  }
}
