// One asset in full: the image, every bit of generation metadata, title/tags/favourite and
// collection editing, download, delete and "generate again with these settings".

import {
  downloadLink, extensionOf, fileName, formatBytes, formatDate, h, replace, studioUrl, uid,
} from "../dom.js";
import { openDialog, confirmDialog } from "../components/dialog.js";
import { toast, toastError } from "../components/toast.js";
import { session } from "../session.js";
import { assetAlt, assetLabel } from "./grid.js";

function facts(rows) {
  return h("dl", { class: "facts" }, rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
}

function requestRows(generation) {
  const r = generation.request || {};
  return [
    ["Status", generation.status],
    ["Quality", r.quality],
    ["Style preset", r.style_preset ? session.styleName(r.style_preset) : null],
    ["Prompt enhancement", r.enhance_prompt === false ? "off" : "on"],
    ["Provider asked", r.provider || "auto"],
    ["Model asked", r.model],
    ["Size asked", r.width && r.height ? `${r.width} × ${r.height}` : r.aspect_ratio],
    ["Negative prompt", r.negative_prompt],
    ["Steps", r.steps],
    ["Guidance", r.guidance_scale],
    ["Overlay text", r.overlay_text],
    ["Format", r.output_format],
    ["Variations", `${generation.num_succeeded} of ${generation.num_requested} succeeded`],
    ["Quoted / charged", `${generation.quote.usd} / ${generation.cost.usd}`],
    ["Warnings", generation.warnings.join(" · ")],
  ];
}

/**
 * `ctx`: {api, collections, currentCollection, onChanged(asset|null), onGenerateAgain(recipe)}.
 */
export function openAssetDetail(asset, ctx) {
  const { api } = ctx;
  const { body, close, setTitle } = openDialog(assetLabel(asset), { className: "dialog-wide detail" });
  let current = asset;
  let generation = null;

  const save = async (change, message) => {
    try {
      current = await api.updateAsset(current.id, change);
      ctx.onChanged(current);
      if (message) toast(message);
      render();
    } catch (error) {
      toastError(error, "Could not save");
    }
  };

  const titleInput = h("input", { type: "text", id: uid("title"), maxlength: "200", value: current.title || "" });
  const titleForm = h("form", { class: "inline-form" },
    h("div", { class: "field field-grow" }, h("label", { for: titleInput.id }, "Title"), titleInput),
    h("button", { class: "btn", type: "submit" }, "Save title"));
  titleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    save({ title: titleInput.value.trim() || null }, "Title saved.");
  });

  const tagInput = h("input", { type: "text", id: uid("newtag"), maxlength: "50", placeholder: "Add a tag" });
  const tagList = h("ul", { class: "tag-editor", "aria-label": "Current tags" });
  const tagForm = h("form", { class: "inline-form" },
    h("div", { class: "field field-grow" }, h("label", { for: tagInput.id }, "Tags"), tagInput),
    h("button", { class: "btn", type: "submit" }, "Add tag"));
  tagForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = tagInput.value.trim().toLowerCase();
    if (!tag || current.tags.includes(tag)) return;
    tagInput.value = "";
    save({ tags: [...current.tags, tag] }, `Tag “${tag}” added.`);
  });

  const collectionSelect = h("select", { id: uid("coll") });
  const collectionForm = h("form", { class: "inline-form" },
    h("div", { class: "field field-grow" }, h("label", { for: collectionSelect.id }, "Add to collection"), collectionSelect),
    h("button", { class: "btn", type: "submit" }, "Add"));
  collectionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!collectionSelect.value) return;
    try {
      const updated = await api.addToCollection(collectionSelect.value, [current.id]);
      toast(`Added to “${updated.name}”.`);
      ctx.onChanged(current);
    } catch (error) {
      toastError(error, "Could not add to the collection");
    }
  });

  const fav = h("button", { type: "button", class: "btn" });
  fav.addEventListener("click", () => save({ favourite: !current.favourite },
    current.favourite ? "Removed from favourites." : "Added to favourites."));

  const again = h("button", { type: "button", class: "btn btn-primary" }, "Generate again with these settings");
  again.addEventListener("click", () => {
    close();
    ctx.onGenerateAgain({
      request: generation ? generation.request : { prompt: current.prompt, template_id: current.template_id,
        provider: current.provider, model: current.model },
      prompt: current.prompt, template_id: current.template_id, seed: current.seed,
    });
  });

  const del = h("button", { type: "button", class: "btn btn-danger" }, "Delete");
  del.addEventListener("click", async () => {
    if (!(await confirmDialog("Delete this image?", "It is removed from your library and every collection.", "Delete", { danger: true }))) return;
    try {
      await api.deleteAsset(current.id);
      toast("Image deleted.");
      ctx.onChanged(null, current.id);
      close();
    } catch (error) {
      toastError(error, "Could not delete");
    }
  });

  const extension = extensionOf(current.media_type);
  const metaBox = h("div", { class: "detail-meta" });
  const generationBox = h("div", { class: "generation-box" });
  const url = studioUrl(current.url);

  function render() {
    setTitle(assetLabel(current));
    fav.textContent = current.favourite ? "★ Favourite" : "☆ Add to favourites";
    fav.setAttribute("aria-pressed", String(current.favourite));
    replace(tagList, current.tags.length ? current.tags.map((tag) => {
      const remove = h("button", { type: "button", class: "tag-remove", "aria-label": `Remove tag ${tag}` }, "×");
      remove.addEventListener("click", () => save({ tags: current.tags.filter((t) => t !== tag) }, `Tag “${tag}” removed.`));
      return h("li", { class: "tag" }, tag, remove);
    }) : h("li", { class: "muted" }, "No tags yet"));
    replace(collectionSelect, h("option", { value: "" }, ctx.collections.length ? "Choose a collection" : "No collections yet"),
      ctx.collections.map((c) => h("option", { value: c.id }, c.name)));
    replace(metaBox, facts([
      ["Prompt", current.prompt],
      ["Provider", current.provider ? `${session.providerName(current.provider)} (${current.provider})` : null],
      ["Model", current.model],
      ["Seed", current.seed],
      ["Template", current.template_id],
      ["Platform", current.platform ? session.platformName(current.platform) : null],
      ["Size", `${current.width} × ${current.height} px`],
      ["File", `${current.media_type}, ${formatBytes(current.size_bytes)}`],
      ["Created", formatDate(current.created_at)],
      ["Asset id", current.id],
      ["Generation id", current.generation_id],
    ]));
  }

  const removeFromCurrent = ctx.currentCollection
    ? h("button", { type: "button", class: "btn btn-ghost" }, `Remove from “${ctx.currentCollection.name}”`) : null;
  if (removeFromCurrent) {
    removeFromCurrent.addEventListener("click", async () => {
      try {
        await api.removeFromCollection(ctx.currentCollection.id, current.id);
        toast(`Removed from “${ctx.currentCollection.name}”.`);
        ctx.onChanged(null, current.id);
        close();
      } catch (error) {
        toastError(error, "Could not remove from the collection");
      }
    });
  }

  render();
  again.hidden = !current.prompt;
  body.append(h("div", { class: "detail-grid" },
    h("div", { class: "detail-media" },
      h("img", { src: url, alt: assetAlt(current), class: "detail-img" }),
      h("div", { class: "detail-actions" }, fav,
        downloadLink(url, fileName(current.title || current.prompt, current.seed, extension)), again)),
    h("div", { class: "detail-side" },
      titleForm, h("div", { class: "stack-tight" }, tagForm, tagList), collectionForm, removeFromCurrent,
      h("h3", {}, "Details"), metaBox,
      h("h3", {}, "Generation settings"), generationBox,
      h("div", { class: "detail-danger" }, del))));

  if (current.generation_id) {
    replace(generationBox, h("p", { class: "hint" }, "Loading the recorded request…"));
    api.generation(current.generation_id).then((found) => {
      generation = found;
      replace(generationBox, facts(requestRows(found)));
    }).catch((error) => replace(generationBox, h("p", { class: "hint" }, error.message)));
  } else {
    replace(generationBox, h("p", { class: "hint" }, "Uploaded image: no generation settings."));
  }
}
