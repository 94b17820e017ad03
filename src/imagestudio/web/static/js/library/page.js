// The asset library: search and filters, grid or list, multi-select with bulk zip download,
// collection and delete actions, and the detail view.

import { h, keepFocus, pluralize, replace, saveBlob, uid } from "../dom.js";
import { pick } from "../plural.js";
import { confirmDialog, promptDialog } from "../components/dialog.js";
import { toast, toastError } from "../components/toast.js";
import { onReconnect } from "../connection.js";
import { explainBlock } from "../errors/explain.js";
import { session } from "../session.js";
import { openAssetDetail } from "./detail.js";
import { Filters, assetQuery, emptyFilters } from "./filters.js";
import { renderAssets } from "./grid.js";

export class LibraryPage {
  constructor(api, ctx) {
    this.api = api;
    this.ctx = ctx;
    this.filters = emptyFilters();
    this.view = "grid";
    this.items = [];
    this.cursor = null;
    this.selected = new Set();
    this.collections = [];
    this.loadSeq = 0;
    this.status = h("p", { class: "lib-status", role: "status", "aria-live": "polite" });
    this.content = h("div", { class: "lib-content" });
    this.more = h("button", { type: "button", class: "btn", hidden: true }, "Load more");
    this.more.addEventListener("click", () => this.load(false));
    this.bulk = h("div", { class: "bulkbar", hidden: true, role: "region", "aria-label": "Selected images" });
    this.el = h("div", { class: "library-page" },
      h("div", { class: "page-head" }, h("h1", {}, "Library"),
        h("p", { class: "muted" }, "Every image you generate is saved here. Search, tag, collect and export.")),
      h("p", { class: "boot", role: "status" }, "Loading…"));
    this.loaded = false;
    this.shown = false;
    this.ready = this.start();
    onReconnect(() => this.recover());
  }

  start() {
    return this.init().then(() => { this.loaded = true; }, (error) => {
      this.el.lastChild.replaceWith(h("div", { class: "boot boot-error" }, explainBlock(error, { role: "alert" })));
    });
  }

  /** The server is back: finish loading and show fresh items, without a page reload. */
  async recover() {
    if (!this.loaded) {
      this.ready = this.start();
      await this.ready;
    }
    if (this.loaded && this.shown && this.el.isConnected) {
      await Promise.all([this.refreshCollections(), this.load(true)]);
    }
  }

  async init() {
    const providers = await this.api.providers();
    for (const p of providers.providers) session.providerNames.set(p.id, p.name.replace(/ \(.*\)$/, ""));
    this.filtersUi = new Filters(this.filters, providers.providers, {
      onChange: () => this.load(true),
      onView: (view) => { this.view = view; this.render(); },
      onNewCollection: () => this.newCollection(),
    });
    this.el.lastChild.replaceWith(this.filtersUi.el, this.bulk, this.status, this.content,
      h("div", { class: "lib-more" }, this.more));
  }

  async onShow() {
    this.shown = true;
    await this.ready;
    if (!this.loaded) return;
    await Promise.all([this.refreshCollections(), this.load(true)]);
  }

  async refreshCollections() {
    try {
      this.collections = (await this.api.collections()).items;
      this.filtersUi.setCollections(this.collections);
    } catch (error) {
      toastError(error, "Could not load collections");
    }
  }

  async load(reset) {
    const seq = ++this.loadSeq;
    if (reset) this.status.textContent = "Loading…";
    try {
      const page = await this.api.assets(assetQuery(this.filters, reset ? null : this.cursor));
      if (seq !== this.loadSeq) return;
      this.items = reset ? page.items : [...this.items, ...page.items];
      this.cursor = page.next_cursor;
      if (reset) {
        const visible = new Set(this.items.map((a) => a.id));
        for (const id of [...this.selected]) if (!visible.has(id)) this.selected.delete(id);
      }
      this.render();
    } catch (error) {
      if (seq !== this.loadSeq) return;
      const retry = h("button", { type: "button", class: "btn btn-small" }, "Retry");
      retry.addEventListener("click", () => this.load(true));
      replace(this.status, explainBlock(error, { compact: true }), retry);
    }
  }

  render() {
    keepFocus(this.el, () => this.renderNow());
  }

  renderNow() {
    const count = this.items.length;
    const filtered = Object.entries(this.filters).some(([k, v]) => k !== "sortKey" && v);
    this.status.textContent = count
      ? `${pluralize(count, "image")}${this.cursor ? " shown (more available)" : ""}${filtered ? ` ${pick(count, "matches", "match")} your filters` : ""}`
      : "";
    this.more.hidden = !this.cursor;
    if (!count) {
      replace(this.content, h("div", { class: "empty" },
        h("p", { class: "empty-title" }, filtered ? "No images match these filters" : "Your library is empty"),
        h("p", { class: "muted" }, filtered ? "Try other words or clear the filters."
          : "Generate images in the Create Studio; each one is saved here.")));
    } else {
      replace(this.content, renderAssets(this.items, this.view, {
        isSelected: (id) => this.selected.has(id),
        onSelect: (asset, checked) => this.select(asset.id, checked),
        onOpen: (asset) => this.open(asset),
        onFavourite: (asset) => this.toggleFavourite(asset),
      }));
    }
    this.renderBulk();
  }

  select(id, checked) {
    if (checked) this.selected.add(id);
    else this.selected.delete(id);
    const item = this.content.querySelector(`[data-asset-id="${CSS.escape(id)}"]`);
    if (item) item.classList.toggle("is-selected", checked);
    this.renderBulk();
  }

  renderBulk() {
    keepFocus(this.bulk, () => this.renderBulkNow());
  }

  renderBulkNow() {
    const n = this.selected.size;
    const allSelected = this.items.length > 0 && this.items.every((a) => this.selected.has(a.id));
    const selectAll = h("button", { type: "button", class: "btn btn-small btn-ghost", dataset: { focusKey: "select-all" } },
      allSelected ? "Clear selection" : `Select all ${this.items.length} shown`);
    selectAll.addEventListener("click", () => {
      if (allSelected) this.selected.clear();
      else for (const a of this.items) this.selected.add(a.id);
      this.render();
    });
    this.bulk.hidden = this.items.length === 0;
    if (!n) {
      replace(this.bulk, h("span", { class: "muted" }, "Select images to download or organise them together."), selectAll);
      return;
    }
    const zip = h("button", { type: "button", class: "btn btn-primary btn-small", id: "bulk-zip",
      dataset: { focusKey: "zip" } }, "Download zip");
    zip.addEventListener("click", () => this.downloadZip(zip));
    const target = h("select", { id: uid("bulk-coll"), "aria-label": "Collection to add the selected images to",
      dataset: { focusKey: "add-to-collection" } },
      h("option", { value: "" }, "Add to collection…"),
      this.collections.map((c) => h("option", { value: c.id }, c.name)));
    target.addEventListener("change", () => this.addSelectedTo(target.value));
    const del = h("button", { type: "button", class: "btn btn-danger btn-small", dataset: { focusKey: "delete" } }, "Delete");
    del.addEventListener("click", () => this.deleteSelected());
    replace(this.bulk, h("strong", { class: "bulk-count" }, `${n} selected`), zip, target, del, selectAll);
  }

  selectedIds() {
    return this.items.filter((a) => this.selected.has(a.id)).map((a) => a.id);
  }

  async downloadZip(button) {
    const ids = this.selectedIds();
    button.disabled = true;
    button.textContent = "Preparing zip…";
    try {
      saveBlob(await this.api.exportZip(ids), `image-studio-${pluralize(ids.length, "image").replace(" ", "-")}.zip`);
      toast(`Downloading ${pluralize(ids.length, "image")} as a zip.`);
    } catch (error) {
      toastError(error, "Could not build the zip");
    } finally {
      button.disabled = false;
      button.textContent = "Download zip";
    }
  }

  async addSelectedTo(collectionId) {
    if (!collectionId) return;
    try {
      const updated = await this.api.addToCollection(collectionId, this.selectedIds());
      toast(`Added to “${updated.name}” (${pluralize(updated.asset_count, "image")}).`);
      await this.refreshCollections();
    } catch (error) {
      toastError(error, "Could not add to the collection");
    }
    this.renderBulk();
  }

  async deleteSelected() {
    const ids = this.selectedIds();
    const ok = await confirmDialog(`Delete ${pluralize(ids.length, "image")}?`,
      "They are removed from your library and from every collection. This cannot be undone.", "Delete", { danger: true });
    if (!ok) return;
    let failed = 0;
    for (const id of ids) {
      try {
        await this.api.deleteAsset(id);
        this.selected.delete(id);
      } catch {
        failed += 1;
      }
    }
    toast(failed ? `${failed} could not be deleted.` : `${pluralize(ids.length, "image")} deleted.`,
      { kind: failed ? "error" : "info" });
    await Promise.all([this.load(true), this.refreshCollections()]);
  }

  async toggleFavourite(asset) {
    try {
      const updated = await this.api.updateAsset(asset.id, { favourite: !asset.favourite });
      this.replaceItem(updated);
    } catch (error) {
      toastError(error, "Could not update the favourite");
    }
  }

  replaceItem(updated) {
    this.items = this.items.map((a) => (a.id === updated.id ? updated : a));
    this.render();
  }

  async newCollection() {
    const name = await promptDialog("New collection", "Collection name", "Create");
    if (!name) return;
    try {
      const created = await this.api.createCollection(name);
      toast(`Collection “${created.name}” created.`);
      await this.refreshCollections();
    } catch (error) {
      toastError(error, "Could not create the collection");
    }
  }

  open(asset) {
    const currentCollection = this.collections.find((c) => c.id === this.filters.collection) || null;
    openAssetDetail(asset, {
      api: this.api,
      collections: this.collections,
      currentCollection,
      onChanged: (updated, removedId) => {
        if (updated) this.replaceItem(updated);
        if (removedId) {
          this.selected.delete(removedId);
          this.load(true);
        }
        this.refreshCollections();
      },
      onGenerateAgain: (recipe) => this.ctx.navigate("create", recipe),
      onAdded: () => this.load(true),
    });
  }
}
