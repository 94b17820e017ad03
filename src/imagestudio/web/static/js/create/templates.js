// Template picker: platform chips, a search box (the API's ranked search), the list as a
// radio group, and the chosen template's size, ratio and safe zones.

import { debounce, h, replace, setStyles, uid } from "../dom.js";
import { pick, plural } from "../plural.js";
import { session } from "../session.js";

const NONE = "";

function percent(value) {
  return `${Math.round(value * 100)}%`;
}

/** A scaled frame of the target shape with its safe zone drawn inside. */
export function safeZonePreview(width, height, zone) {
  const frame = h("div", { class: "sz-frame", "aria-hidden": "true" });
  const longest = Math.max(width, height);
  setStyles(frame, { width: `${(width / longest) * 100}%`, height: `${(height / longest) * 100}%` });
  if (zone) {
    const inner = h("div", { class: "sz-safe" });
    setStyles(inner, {
      top: percent(zone.top), bottom: percent(zone.bottom),
      left: percent(zone.left), right: percent(zone.right),
    });
    frame.append(inner);
  }
  return h("div", { class: "sz-wrap" }, frame);
}

function zoneText(zone) {
  if (!zone || (zone.top + zone.bottom + zone.left + zone.right) === 0) return "none (full frame usable)";
  return `keep text ${percent(zone.top)} from the top, ${percent(zone.bottom)} from the bottom, `
    + `${percent(zone.left)} from the left and ${percent(zone.right)} from the right`;
}

export class TemplatePicker {
  /** `onPick(template|null)` runs when the user picks; provider choices are never touched. */
  constructor(api, onPick) {
    this.api = api;
    this.onPick = onPick;
    this.templates = [];
    this.results = null; // ranked search hits, or null when not searching
    this.platform = "all";
    this.selected = null;
    this.groupName = uid("tpl");
    this.chips = h("div", { class: "chips", role: "group", "aria-label": "Filter templates by platform" });
    this.search = h("input", {
      type: "search", id: uid("tpl-search"), autocomplete: "off",
      placeholder: "Search by name or use case, e.g. product launch",
    });
    this.status = h("div", { class: "hint tpl-status", role: "status", "aria-live": "polite" });
    this.recommended = null; // the use case the list was recommended for, or null
    this.useCase = h("input", { type: "text", id: uid("tpl-use"), autocomplete: "off", list: uid("tpl-uses"),
      placeholder: "e.g. product launch, sale, hiring" });
    this.useCases = h("datalist", { id: this.useCase.getAttribute("list") });
    const recommend = h("button", { type: "button", class: "btn btn-small" }, "Recommend");
    recommend.addEventListener("click", () => this.recommend());
    this.useCase.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.recommend();
    });
    this.recommendEl = h("div", { class: "field" },
      h("label", { for: this.useCase.id }, "What is it for? Get recommendations"),
      h("div", { class: "inline-form" }, this.useCase, recommend), this.useCases);
    this.list = h("div", { class: "tpl-list", role: "radiogroup", "aria-label": "Templates" });
    this.details = h("div", { class: "tpl-details", "aria-live": "polite" });
    const runSearch = debounce(() => this.runSearch(), 250);
    this.search.addEventListener("input", runSearch);
    this.el = h("div", { class: "tpl-picker" },
      this.chips,
      h("div", { class: "field" }, h("label", { for: this.search.id }, "Search templates"), this.search),
      this.recommendEl, this.status, this.list, this.details);
  }

  async load() {
    const data = await this.api.templates();
    this.templates = data.templates;
    const uses = [...new Set(this.templates.flatMap((t) => t.use_cases))].sort();
    replace(this.useCases, uses.map((u) => h("option", { value: u })));
    this.renderChips();
    this.renderList();
    this.renderDetails();
  }

  renderChips() {
    const present = [...new Set(this.templates.map((t) => t.platform))];
    const chip = (id, label) => {
      const button = h("button", {
        type: "button", class: "chip", "aria-pressed": String(this.platform === id),
        dataset: { platform: id },
      }, label);
      button.addEventListener("click", () => {
        this.platform = id;
        // Update in place: re-creating the chips would drop the keyboard focus.
        for (const other of this.chips.children) {
          other.setAttribute("aria-pressed", String(other.dataset.platform === id));
        }
        this.renderList();
      });
      return button;
    };
    replace(this.chips, chip("all", "All platforms"),
      present.map((id) => chip(id, session.platformName(id))));
  }

  /** Ask GET /templates/recommend for the use case typed (on the chosen platform). */
  async recommend() {
    const useCase = this.useCase.value.trim();
    if (!useCase) {
      this.recommended = null;
      this.results = null;
      this.renderList();
      return;
    }
    try {
      const platform = this.platform === "all" ? null : this.platform;
      const data = await this.api.recommendTemplates(useCase, platform);
      this.search.value = "";
      this.recommended = useCase;
      this.results = data.templates;
    } catch (error) {
      this.status.textContent = error.message;
      return;
    }
    this.renderList();
  }

  showAllPlatforms() {
    this.platform = "all";
    for (const chip of this.chips.children) chip.setAttribute("aria-pressed", String(chip.dataset.platform === "all"));
    this.renderList();
  }

  async runSearch() {
    const query = this.search.value.trim();
    this.recommended = null;
    if (!query) {
      this.results = null;
      this.renderList();
      return;
    }
    try {
      const data = await this.api.searchTemplates(query);
      if (this.search.value.trim() !== query) return;
      this.results = data.templates;
    } catch (error) {
      this.status.textContent = error.message;
      return;
    }
    this.renderList();
  }

  visible() {
    const source = this.results || this.templates;
    return source.filter((t) => this.platform === "all" || t.platform === this.platform);
  }

  option(value, title, lines, checked) {
    const id = uid("tpl-opt");
    const details = lines.map((line) => h("span", { class: line.cls, id: uid("tpl-d") }, line.text));
    const name = h("span", { class: "tpl-name", id: `${id}-name` }, title);
    // Named by the title alone; the size and use cases are its description.
    const input = h("input", {
      type: "radio", name: this.groupName, id, value, checked, class: "tpl-radio",
      "aria-labelledby": name.id, "aria-describedby": details.map((d) => d.id).join(" "),
    });
    input.addEventListener("change", () => {
      if (input.checked) this.pick(value);
    });
    return h("div", { class: "tpl-option" }, input,
      h("label", { for: id, class: "tpl-card" }, name, details));
  }

  renderList() {
    const items = this.visible();
    const selectedId = this.selected ? this.selected.id : NONE;
    const options = [this.option(NONE, "No template — custom size",
      [{ cls: "tpl-meta", text: "Choose an aspect ratio or exact pixels below" }], selectedId === NONE)];
    for (const t of items) {
      options.push(this.option(t.id, t.name, [
        { cls: "tpl-meta", text: `${session.platformName(t.platform)} · ${t.width}×${t.height} · ${t.aspect_ratio}` },
        { cls: "tpl-uses", text: `Recommended for: ${t.use_cases.join(", ")}` },
      ], t.id === selectedId));
    }
    replace(this.list, options);
    this.renderStatus(items.length);
  }

  renderStatus(n) {
    const query = this.search.value.trim();
    const chip = this.platform === "all" ? "" : session.platformName(this.platform);
    const where = chip ? ` on ${chip}` : "";
    let text = plural(n, "template");
    if (this.recommended) text = `${text} recommended for “${this.recommended}”${where}`;
    else if (query) text = `${text} ${pick(n, "matches", "match")} “${query}”${where}`;
    else if (chip) text = `${text} for ${chip}`;
    if (n || !chip || (!query && !this.recommended)) {
      replace(this.status, text);
      return;
    }
    const all = h("button", { type: "button", class: "link-btn" }, "Search all platforms");
    all.addEventListener("click", () => this.showAllPlatforms());
    replace(this.status, `${text}. `, all);
  }

  pick(id) {
    this.selected = this.templates.find((t) => t.id === id) || null;
    this.renderDetails();
    this.onPick(this.selected);
  }

  /** Select a template programmatically (e.g. "generate again"). */
  select(template) {
    this.selected = template;
    this.renderList();
    this.renderDetails();
  }

  renderDetails() {
    const t = this.selected;
    if (!t) {
      replace(this.details);
      this.details.hidden = true;
      return;
    }
    this.details.hidden = false;
    const exact = t.aspect_ratio_exact !== t.aspect_ratio.replace("≈", "")
      ? ` (exactly ${t.aspect_ratio_exact})` : "";
    replace(this.details,
      safeZonePreview(t.width, t.height, t.safe_zone),
      h("div", { class: "tpl-facts" },
        h("p", { class: "tpl-facts-title" }, t.name),
        h("dl", { class: "facts facts-compact" },
          h("dt", {}, "Size"), h("dd", {}, `${t.width} × ${t.height} px`),
          h("dt", {}, "Ratio"), h("dd", {}, `${t.aspect_ratio}${exact}`),
          h("dt", {}, "Safe zone"), h("dd", {}, zoneText(t.safe_zone)),
          h("dt", {}, "Defaults"),
          h("dd", {}, `${session.styleName(t.style_preset)} style, ${t.quality} quality`)),
        h("p", { class: "hint" }, t.description)));
  }
}
