// The history strip: every version of the image (GET /assets/{id}/versions: the original
// first), the current one marked, and "Revert" on each other one. A revert never rewrites:
// the API records a new version that copies the chosen one (docs/edit.md).

import { h, replace, studioUrl } from "../dom.js";

/** The versions in order (ancestors, the current one, descendants). */
export function lineage(found, current) {
  return [...found.ancestors, current, ...found.descendants];
}

/** "Original", "Inpaint", "Reverted to version 1" … for version `asset` in `list`. */
export function versionLabel(asset, list) {
  if (!asset.parent_id) return "Original";
  const params = asset.parameters || {};
  if (asset.operation === "revert") {
    const at = list.findIndex((v) => v.id === params.to);
    return at >= 0 ? `Reverted to version ${at + 1}` : "Reverted";
  }
  if (asset.operation === "edit" && params.op) {
    const words = params.op.replace(/-/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  return asset.operation || "Derived";
}

/** A strip; `render(list, currentId)` draws it; `onRevert(version)` runs on a Revert click. */
export function historyStrip(onRevert) {
  const list = h("ol", { class: "edit-history-list" });
  const status = h("p", { class: "hint", role: "status" });
  const element = h("section", { class: "edit-history", "aria-label": "Version history" },
    h("h3", {}, "History"), list, status);

  function item(version, index, all, currentId) {
    const label = versionLabel(version, all);
    const name = `Version ${index + 1}: ${label}`;
    const current = version.id === currentId;
    const revert = current ? h("span", { class: "badge" }, "Current")
      : h("button", { type: "button", class: "btn btn-small", "aria-label": `Revert to version ${index + 1} (${label})` },
        "Revert to this");
    if (!current) revert.addEventListener("click", () => onRevert(version, index));
    return h("li", { class: `edit-version${current ? " is-current" : ""}`,
      "aria-current": current ? "true" : null, dataset: { version: version.id } },
    h("img", { src: studioUrl(version.url), alt: name, loading: "lazy" }),
    h("span", { class: "edit-version-name" }, name),
    h("span", { class: "hint" }, `${version.width} × ${version.height}`), revert);
  }

  return {
    element,
    render(all, currentId, truncated = false) {
      replace(list, all.map((v, i) => item(v, i, all, currentId)));
      status.textContent = truncated ? "Only the nearest 500 versions are shown." : "";
    },
    say(text) { status.textContent = text; },
  };
}
