// The library toolbar: search, filters (platform, provider, favourite, tag, collection,
// date), sort and grid/list view.

import { debounce, h, replace, uid } from "../dom.js";
import { session } from "../session.js";

export const SORTS = {
  newest: { sort: "created_at", order: "desc", label: "Newest first" },
  oldest: { sort: "created_at", order: "asc", label: "Oldest first" },
  largest: { sort: "size_bytes", order: "desc", label: "Largest files" },
  title: { sort: "title", order: "asc", label: "Title A–Z" },
};

export function emptyFilters() {
  return { q: "", platform: "", provider: "", favourite: false, tag: "", collection: "", from: "", to: "", sortKey: "newest" };
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
    const changed = () => this.onChange(this.filters);
    const search = h("input", {
      type: "search", id: "library-search", placeholder: "Search prompts, titles and tags", autocomplete: "off",
    });
    search.addEventListener("input", debounce(() => {
      this.filters.q = search.value;
      changed();
    }, 300));
    this.search = search;

    const sort = selectField("Sort", Object.entries(SORTS).map(([k, s]) => [k, s.label]), filters.sortKey);
    sort.select.addEventListener("change", () => { this.filters.sortKey = sort.select.value; changed(); });

    const viewName = uid("view");
    const viewButton = (value, label) => {
      const id = uid("view");
      const input = h("input", { type: "radio", name: viewName, id, value, class: "seg-radio", checked: value === "grid" });
      input.addEventListener("change", () => input.checked && onView(value));
      return h("div", { class: "seg-option" }, input, h("label", { for: id, class: "seg-card seg-mini" }, label));
    };
    const view = h("fieldset", { class: "seg seg-inline" }, h("legend", { class: "sr-only" }, "View"),
      h("div", { class: "seg-options" }, viewButton("grid", "Grid"), viewButton("list", "List")));

    const platform = selectField("Platform",
      [["", "All platforms"], ...session.catalog.platforms.map((p) => [p.id, p.name])], filters.platform);
    platform.select.addEventListener("change", () => { this.filters.platform = platform.select.value; changed(); });
    const provider = selectField("Provider",
      [["", "All providers"], ...providers.map((p) => [p.id, p.name])], filters.provider);
    provider.select.addEventListener("change", () => { this.filters.provider = provider.select.value; changed(); });

    const collectionSelect = h("select", { id: uid("lf") }, h("option", { value: "" }, "All collections"));
    collectionSelect.addEventListener("change", () => {
      this.filters.collection = collectionSelect.value;
      changed();
    });
    const newCollection = h("button", { type: "button", class: "link-btn" }, "+ New collection");
    newCollection.addEventListener("click", onNewCollection);
    this.collection = {
      select: collectionSelect,
      el: h("div", { class: "field" },
        h("div", { class: "label-row" }, h("label", { for: collectionSelect.id }, "Collection"), newCollection),
        collectionSelect),
    };

    const tag = h("input", { type: "text", id: uid("tag"), placeholder: "e.g. summer-sale", autocomplete: "off" });
    tag.addEventListener("input", debounce(() => { this.filters.tag = tag.value; changed(); }, 400));

    const fav = h("input", { type: "checkbox", id: uid("fav") });
    fav.addEventListener("change", () => { this.filters.favourite = fav.checked; changed(); });

    const from = h("input", { type: "date", id: uid("from") });
    const to = h("input", { type: "date", id: uid("to") });
    from.addEventListener("change", () => { this.filters.from = from.value; changed(); });
    to.addEventListener("change", () => { this.filters.to = to.value; changed(); });

    const reset = h("button", { type: "button", class: "btn btn-small btn-ghost" }, "Clear filters");
    reset.addEventListener("click", () => {
      Object.assign(this.filters, emptyFilters(), { sortKey: this.filters.sortKey });
      for (const el of [search, tag, from, to]) el.value = "";
      fav.checked = false;
      platform.select.value = "";
      provider.select.value = "";
      this.collection.select.value = "";
      changed();
    });

    this.el = h("div", { class: "lib-toolbar" },
      h("div", { class: "lib-toolbar-main" },
        h("div", { class: "field field-grow" }, h("label", { for: search.id }, "Search your library"), search),
        sort.el,
        h("div", { class: "field" }, h("span", { class: "label", "aria-hidden": "true" }, "View"), view)),
      h("details", { class: "lib-filters", open: window.matchMedia("(min-width: 721px)").matches },
        h("summary", {}, "Filters"),
        h("div", { class: "lib-filter-grid" },
          platform.el, provider.el,
          h("div", { class: "field" }, h("label", { for: tag.id }, "Tag"), tag),
          this.collection.el,
          h("div", { class: "field" }, h("label", { for: from.id }, "Created from"), from),
          h("div", { class: "field" }, h("label", { for: to.id }, "Created until"), to),
          h("div", { class: "check-row" }, fav, h("label", { for: fav.id }, "Favourites only")),
          reset)));
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
