// The library toolbar: search, filters (platform, provider, favourite, tag, collection,
// date, edit versions shown or hidden), sort and grid/list view.

import { debounce, h, replace, uid } from "../dom.js";
import { session } from "../session.js";

export const SORTS = {
  newest: { sort: "created_at", order: "desc", label: "Newest first" },
  oldest: { sort: "created_at", order: "asc", label: "Oldest first" },
  largest: { sort: "size_bytes", order: "desc", label: "Largest files" },
  title: { sort: "title", order: "asc", label: "Title A–Z" },
};

export function emptyFilters() {
  return { q: "", platform: "", provider: "", favourite: false, versions: false, tag: "", collection: "", from: "", to: "", sortKey: "newest" };
}

/** The GET /assets query for `filters`. */
export function assetQuery(filters, cursor) {
  const sort = SORTS[filters.sortKey] || SORTS.newest;
  const query = {
    q: filters.q.trim(), platform: filters.platform, provider: filters.provider,
    tag: filters.tag.trim().toLowerCase(), collection: filters.collection,
    sort: sort.sort, order: sort.order, limit: 48, cursor,
  };
  if (filters.favourite) query.favourite = "true";
  // edit versions are hidden unless asked for: an original stands for them (its history)
  if (!filters.versions) query.versions = "false";
  if (filters.from) query.created_after = new Date(`${filters.from}T00:00:00`).toISOString();
  if (filters.to) {
    const end = new Date(`${filters.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    query.created_before = end.toISOString();
  }
  return query;
}

function selectField(label, options, value) {
  const select = h("select", { id: uid("lf") },
    options.map(([v, text]) => h("option", { value: v }, text)));
  select.value = value;
  return { select, el: h("div", { class: "field" }, h("label", { for: select.id }, label), select) };
}

export class Filters {
  constructor(filters, providers, { onChange, onView, onNewCollection }) {
    this.filters = filters;
    this.onChange = onChange;
    this.inputs = [];
    this.selects = [];
    this.el = h("div", { class: "lib-toolbar" },
      this.mainRow(onView),
      h("details", { class: "lib-filters", open: window.matchMedia("(min-width: 721px)").matches },
        h("summary", {}, "Filters"),
        h("div", { class: "lib-filter-grid" }, this.filterFields(providers, onNewCollection))));
  }

  changed() {
    this.onChange(this.filters);
  }

  /** Search, sort and grid/list view. */
  mainRow(onView) {
    const search = h("input", {
      type: "search", id: "library-search", placeholder: "Search prompts, titles and tags", autocomplete: "off",
    });
    search.addEventListener("input", debounce(() => {
      this.filters.q = search.value;
      this.changed();
    }, 300));
    this.search = search;
    this.inputs.push(search);

    const sort = selectField("Sort", Object.entries(SORTS).map(([k, s]) => [k, s.label]), this.filters.sortKey);
    sort.select.addEventListener("change", () => { this.filters.sortKey = sort.select.value; this.changed(); });

    const viewName = uid("view");
    const viewButton = (value, label) => {
      const id = uid("view");
      const input = h("input", { type: "radio", name: viewName, id, value, class: "seg-radio", checked: value === "grid" });
      input.addEventListener("change", () => input.checked && onView(value));
      return h("div", { class: "seg-option" }, input, h("label", { for: id, class: "seg-card seg-mini" }, label));
    };
    const view = h("fieldset", { class: "seg seg-inline" }, h("legend", { class: "sr-only" }, "View"),
      h("div", { class: "seg-options" }, viewButton("grid", "Grid"), viewButton("list", "List")));
    return h("div", { class: "lib-toolbar-main" },
      h("div", { class: "field field-grow" }, h("label", { for: search.id }, "Search your library"), search),
      sort.el,
      h("div", { class: "field" }, h("span", { class: "label", "aria-hidden": "true" }, "View"), view));
  }

  /** A select bound to `this.filters[key]`. */
  boundSelect(label, options, key) {
    const field = selectField(label, options, this.filters[key]);
    field.select.addEventListener("change", () => { this.filters[key] = field.select.value; this.changed(); });
    this.selects.push(field.select);
    return field;
  }

  /** An input bound to `this.filters[key]` (debounced for typing). */
  boundInput(label, attrs, key, event = "change", wait = 0) {
    const input = h("input", { id: uid("lf"), autocomplete: "off", ...attrs });
    const update = () => { this.filters[key] = input.value; this.changed(); };
    input.addEventListener(event, wait ? debounce(update, wait) : update);
    this.inputs.push(input);
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  }

  /** Platform, provider, tag, collection, dates, favourites and "clear". */
  filterFields(providers, onNewCollection) {
    const platform = this.boundSelect("Platform",
      [["", "All platforms"], ...session.catalog.platforms.map((p) => [p.id, p.name])], "platform");
    const provider = this.boundSelect("Provider",
      [["", "All providers"], ...providers.map((p) => [p.id, p.name])], "provider");
    const collection = this.boundSelect("Collection", [["", "All collections"]], "collection");
    const newCollection = h("button", { type: "button", class: "link-btn" }, "+ New collection");
    newCollection.addEventListener("click", onNewCollection);
    const label = collection.el.firstChild;
    const labelRow = h("div", { class: "label-row" });
    label.replaceWith(labelRow);
    labelRow.append(label, newCollection);
    this.collection = collection;

    const fav = h("input", { type: "checkbox", id: uid("fav") });
    fav.addEventListener("change", () => { this.filters.favourite = fav.checked; this.changed(); });
    const versions = h("input", { type: "checkbox", id: uid("versions") });
    versions.addEventListener("change", () => { this.filters.versions = versions.checked; this.changed(); });
    const reset = h("button", { type: "button", class: "btn btn-small btn-ghost" }, "Clear filters");
    reset.addEventListener("click", () => {
      Object.assign(this.filters, emptyFilters(), { sortKey: this.filters.sortKey });
      for (const el of this.inputs) el.value = "";
      for (const el of this.selects) el.value = "";
      fav.checked = false;
      versions.checked = false;
      this.changed();
    });
    return [platform.el, provider.el,
      this.boundInput("Tag", { type: "text", placeholder: "e.g. summer-sale" }, "tag", "input", 400),
      collection.el,
      this.boundInput("Created from", { type: "date" }, "from"),
      this.boundInput("Created until", { type: "date" }, "to"),
      h("div", { class: "check-row" }, fav, h("label", { for: fav.id }, "Favourites only")),
      h("div", { class: "check-row" }, versions, h("label", { for: versions.id }, "Show edit versions")),
      reset];
  }

  setCollections(collections) {
    const select = this.collection.select;
    replace(select, h("option", { value: "" }, "All collections"),
      collections.map((c) => h("option", { value: c.id }, `${c.name} (${c.asset_count})`)));
    select.value = this.filters.collection;
    if (select.value !== this.filters.collection) {
      this.filters.collection = "";
    }
  }

  focusSearch() {
    this.search.focus();
  }
}
