// Full-size view of one image with its key facts and a download link.

import { downloadLink, h } from "../dom.js";
import { openDialog } from "./dialog.js";

/** `image`: {url, alt, title, facts: [[label, value]...], filename}. */
export function openLightbox(image) {
  const { body } = openDialog(image.title, { className: "dialog-wide lightbox" });
  const facts = h("dl", { class: "facts" },
    image.facts.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([label, value]) => [h("dt", {}, label), h("dd", {}, String(value))]));
  body.append(
    h("div", { class: "lightbox-stage" },
      h("img", { src: image.url, alt: image.alt, class: "lightbox-img" })),
    facts,
    h("div", { class: "dialog-actions" },
      h("a", { class: "btn", href: image.url, target: "_blank", rel: "noopener" },
        "Open original in a new tab"),
      downloadLink(image.url, image.filename, "btn btn-primary")),
  );
}
