// The library's assets as a grid of cards or a list of rows, each selectable.

import { formatBytes, formatDate, h, shorten, studioUrl } from "../dom.js";
import { session } from "../session.js";

export function assetLabel(asset) {
  return asset.title || shorten(asset.prompt, 80) || (isVideo(asset) ? "Untitled video" : "Untitled image");
}

export function isVideo(asset) {
  return (asset.media_type || "").startsWith("video/");
}

export function assetAlt(asset) {
  const text = asset.title || asset.prompt;
  if (isVideo(asset)) {
    const seconds = asset.duration_ms ? ` ${(asset.duration_ms / 1000).toFixed(1)} s` : "";
    return `Video${seconds}${text ? `: ${shorten(text, 140)}` : ` ${asset.width}×${asset.height}`}`;
  }
  return text ? `Image: ${shorten(text, 140)}` : `Uploaded image ${asset.width}×${asset.height}`;
}

function meta(asset) {
  return [
    asset.platform ? session.platformName(asset.platform) : null,
    asset.provider ? session.providerName(asset.provider) : null,
    `${asset.width}×${asset.height}`,
  ].filter(Boolean).join(" · ");
}

/** `handlers`: {isSelected(id), onSelect(asset, checked), onOpen(asset), onFavourite(asset)}. */
export function renderAssets(assets, view, handlers) {
  const list = h("ul", { class: view === "list" ? "asset-list" : "asset-grid", "aria-label": "Assets" });
  for (const asset of assets) list.append(view === "list" ? row(asset, handlers) : card(asset, handlers));
  return list;
}

function selectBox(asset, handlers) {
  const box = h("input", {
    type: "checkbox", class: "asset-check", id: `sel-${asset.id}`, checked: handlers.isSelected(asset.id),
    dataset: { focusKey: `select-${asset.id}` },
    "aria-label": `Select ${assetLabel(asset)}`,
  });
  box.addEventListener("change", () => handlers.onSelect(asset, box.checked));
  return box;
}

function favButton(asset, handlers) {
  const button = h("button", {
    type: "button", class: "icon-btn fav-toggle", "aria-pressed": String(asset.favourite),
    dataset: { focusKey: `fav-${asset.id}` },
    "aria-label": asset.favourite ? `Remove ${assetLabel(asset)} from favourites` : `Add ${assetLabel(asset)} to favourites`,
  }, asset.favourite ? "★" : "☆");
  button.addEventListener("click", () => handlers.onFavourite(asset));
  return button;
}

function thumb(asset, handlers, className) {
  const button = h("button", { type: "button", class: className, dataset: { focusKey: `open-${asset.id}` },
    "aria-label": `Open details of ${assetLabel(asset)}` },
    isVideo(asset)
      // a muted, paused video shows its first frame; the poster route needs a header
      ? h("video", { src: studioUrl(asset.url), muted: true, preload: "metadata", playsinline: true,
        "aria-label": assetAlt(asset), width: asset.width, height: asset.height })
      : h("img", { src: studioUrl(asset.url), alt: assetAlt(asset), loading: "lazy", decoding: "async",
        width: asset.width, height: asset.height }));
  button.addEventListener("click", () => handlers.onOpen(asset));
  return button;
}

function card(asset, handlers) {
  const selected = handlers.isSelected(asset.id);
  return h("li", { class: `asset-card${selected ? " is-selected" : ""}`, dataset: { assetId: asset.id } },
    h("div", { class: "asset-thumb-wrap" },
      thumb(asset, handlers, "asset-thumb"),
      h("div", { class: "asset-overlay" }, selectBox(asset, handlers), favButton(asset, handlers))),
    h("div", { class: "asset-info" },
      h("p", { class: "asset-title" }, assetLabel(asset)),
      h("p", { class: "hint" }, meta(asset)),
      asset.tags.length ? h("p", { class: "tags-inline" }, asset.tags.map((t) => h("span", { class: "tag" }, t))) : null));
}

function row(asset, handlers) {
  const selected = handlers.isSelected(asset.id);
  return h("li", { class: `asset-row${selected ? " is-selected" : ""}`, dataset: { assetId: asset.id } },
    selectBox(asset, handlers),
    thumb(asset, handlers, "asset-row-thumb"),
    h("div", { class: "asset-row-main" },
      h("p", { class: "asset-title" }, assetLabel(asset)),
      h("p", { class: "hint" }, `${meta(asset)} · ${formatBytes(asset.size_bytes)} · ${formatDate(asset.created_at)}`),
      asset.tags.length ? h("p", { class: "tags-inline" }, asset.tags.map((t) => h("span", { class: "tag" }, t))) : null),
    favButton(asset, handlers));
}
