// Full-size view of one image, or of a run's images to compare and pick: previous/next
// buttons and the arrow keys, favourite and "use this one". The actions sit above the
// image so they stay in view on a laptop screen.

import { downloadLink, h, replace } from "../dom.js";
import { openDialog } from "./dialog.js";

function factList(facts) {
  return h("dl", { class: "facts facts-compact" },
    facts.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([label, value]) => [h("dt", {}, label), h("dd", {}, String(value))]));
}

/**
 * `items`: [{url, alt, title, filename, facts, details, favourite}], shown from `index`.
 * `onFavourite(item, next)` resolves when saved; `onUse(item)` picks it for the next step.
 */
export function openGallery(items, index = 0, { onFavourite = null, onUse = null } = {}) {
  let at = index;
  const { dialog, body, setTitle } = openDialog(items[at].title, { className: "dialog-wide lightbox" });
  const counter = h("span", { class: "lightbox-count", "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "btn btn-small", "aria-label": "Previous image" }, "← Previous");
  const next = h("button", { type: "button", class: "btn btn-small", "aria-label": "Next image" }, "Next →");
  const actions = h("div", { class: "lightbox-actions" });
  const stage = h("div", { class: "lightbox-stage" });
  const facts = h("div", { class: "lightbox-facts" });
  const nav = h("div", { class: "lightbox-nav" }, prev, counter, next);
  nav.hidden = items.length < 2;
  body.append(nav, actions, stage, facts);

  const show = (i) => {
    at = (i + items.length) % items.length;
    const item = items[at];
    setTitle(item.title);
    counter.textContent = `${at + 1} of ${items.length}`;
    replace(stage, h("img", { src: item.url, alt: item.alt, class: "lightbox-img" }));
    const buttons = [
      downloadLink(item.url, item.filename, "btn btn-primary btn-small"),
      h("a", { class: "btn btn-small", href: item.url, target: "_blank", rel: "noopener" }, "Open original"),
    ];
    if (onFavourite && item.assetId) {
      const fav = h("button", { type: "button", class: "btn btn-small", "aria-pressed": String(Boolean(item.favourite)) },
        item.favourite ? "★ Favourite" : "☆ Favourite");
      fav.addEventListener("click", async () => {
        const want = !item.favourite;
        fav.disabled = true;
        try {
          await onFavourite(item, want);
          item.favourite = want;
          fav.setAttribute("aria-pressed", String(want));
          fav.textContent = want ? "★ Favourite" : "☆ Favourite";
        } finally {
          fav.disabled = false;
        }
      });
      buttons.push(fav);
    }
    if (onUse) {
      const use = h("button", { type: "button", class: "btn btn-small" }, "Use this one");
      use.addEventListener("click", () => {
        onUse(item);
        dialog.close();
      });
      buttons.push(use);
    }
    replace(actions, buttons);
    replace(facts, factList(item.facts), item.details || null);
  };
  prev.addEventListener("click", () => show(at - 1));
  next.addEventListener("click", () => show(at + 1));
  dialog.addEventListener("keydown", (event) => {
    if (items.length < 2 || event.target.closest("input, select, textarea")) return;
    if (event.key === "ArrowLeft") show(at - 1);
    else if (event.key === "ArrowRight") show(at + 1);
    else return;
    event.preventDefault();
  });
  show(at);
  return { dialog, show: (i) => show(i), current: () => items[at] };
}

/** `image`: {url, alt, title, facts: [[label, value]...], filename}. */
export function openLightbox(image) {
  return openGallery([image], 0);
}
