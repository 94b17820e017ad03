// Tiny DOM helpers. Text always goes in through textContent, never as HTML.

let counter = 0;

/** A unique element id with a readable prefix. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * h("button", {class: "btn", onclick: fn, "aria-label": "Close"}, "text", child)
 * Attributes: class, text, dataset, style (object, applied through CSSOM), on* handlers,
 * booleans (true → present, false/null → absent), everything else via setAttribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "style") setStyles(el, value);
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "value") el.value = value;
    else if (name === "checked" || name === "selected" || name === "disabled") el[name] = true;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Set inline styles through CSSOM (allowed by the page's Content-Security-Policy). */
export function setStyles(el, styles) {
  for (const [prop, value] of Object.entries(styles)) el.style.setProperty(prop, value);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDate(iso) {
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export { plural as pluralize } from "./plural.js";

/** A labelled form field: label above, control, optional hint and counter below. */
export function field(label, control, { hint = null, extra = null, className = "" } = {}) {
  if (!control.id) control.id = uid("f");
  const hintEl = hint ? h("p", { class: "hint", id: uid("hint") }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: `field ${className}`.trim() },
    h("label", { for: control.id }, label), control, extra, hintEl);
}

/**
 * The path of a file URL the API returned, so the browser fetches it from this studio even
 * when the server builds absolute links with another host name (e.g. localhost vs 127.0.0.1).
 */
export function studioUrl(url) {
  if (!url) return url;
  try {
    const parsed = new URL(url, window.location.href);
    if (parsed.origin === window.location.origin || parsed.pathname.startsWith("/api/image-studio/")) {
      return parsed.pathname + parsed.search;
    }
  } catch {
    // Not a URL: fall through and let the Content-Security-Policy refuse it.
  }
  return url;
}

export function shorten(text, max) {
  if (!text) return "";
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** Save `blob` as `filename` through a temporary object URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, class: "sr-only" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * A download link for a studio file that saves it as `filename`. The server names files by
 * their hash (and its Content-Disposition wins over the `download` attribute), so the click
 * fetches the file and saves the blob; without JavaScript the plain link still works.
 */
export function downloadLink(url, filename, className = "btn", label = "Download") {
  const link = h("a", { class: className, href: url, download: filename }, label);
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(url, { credentials: "omit" });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      saveBlob(await response.blob(), filename);
    } catch {
      window.location.assign(url);
    }
  });
  return link;
}

/** A readable file name: "summer-sale-banner-1234.png". */
export function fileName(text, suffix, extension) {
  const slug = (text || "image").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 48).replace(/-+$/, "") || "image";
  return `${slug}${suffix !== null && suffix !== undefined && suffix !== "" ? `-${suffix}` : ""}.${extension}`;
}

/** "image/jpeg" → "jpg". */
export function extensionOf(mediaType) {
  return (mediaType || "image/png").split("/")[1].replace("jpeg", "jpg");
}

/**
 * Run `render()`, which rebuilds part of `root`, and give the focus back to the rebuilt twin
 * of the element that had it (matched by `data-focus-key`), so keyboard users keep their place.
 */
export function keepFocus(root, render) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.dataset.focusKey : null;
  render();
  if (!key || root.contains(active)) return;
  const twin = root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (twin) twin.focus();
}
