// Boot: read the UI config, restore the session, then route by the URL hash.

import { Api } from "./api.js";
import { h, replace } from "./dom.js";
import { session } from "./session.js";
import { toast } from "./components/toast.js";
import { renderSignIn } from "./signin.js";
import { CreatePage } from "./create/page.js";
import { LibraryPage } from "./library/page.js";
import { usageSummary } from "./usage.js";
import { onReconnect } from "./connection.js";
import { explainBlock } from "./errors/explain.js";

const main = document.getElementById("main");
const pages = {};
let current = null;

const api = new Api(() => session.key, () => {
  if (!session.key) return;
  session.clear();
  toast("Your API key is no longer valid; please sign in again.", { kind: "error" });
  location.hash = "#/signin";
});

function routeName() {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return name || "create";
}

function renderAccount() {
  const nav = document.getElementById("topnav");
  const account = document.getElementById("account");
  const signedIn = Boolean(session.user);
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  if (!signedIn) return;
  const who = session.mode === "local"
    ? h("span", { class: "who who-local" },
      h("span", { class: "badge badge-warn" }, "Single-user mode"),
      " Signed in as local user (single-user mode)")
    : h("span", { class: "who" }, "Signed in as ", h("strong", {}, session.user.name));
  const credits = h("span", { class: "credits", id: "credits", hidden: true });
  const signOut = h("button", { class: "btn btn-ghost btn-small", type: "button" }, "Sign out");
  signOut.addEventListener("click", () => {
    session.clear();
    for (const key of Object.keys(pages)) delete pages[key];
    location.hash = "#/signin";
  });
  replace(account, credits, who, signOut);
  refreshUsage();
}

/** Show remaining credits in the header when the server has the usage endpoint. */
export async function refreshUsage() {
  const slot = document.getElementById("credits");
  if (!slot || !session.config || !session.config.features.usage) return;
  try {
    const usage = await api.usage();
    if (session.user && usage.plan) session.user.planName = usage.plan.name;
    const text = usageSummary(usage);
    slot.textContent = text || "";
    slot.hidden = !text;
  } catch {
    slot.hidden = true;
  }
}

function highlightNav(name) {
  for (const link of document.querySelectorAll("#topnav a")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route() {
  const name = routeName();
  // Changing the hash fires "hashchange", which routes again: render once, there.
  if (!session.user && name !== "signin") {
    location.replace("#/signin");
    return;
  }
  if (session.user && name === "signin") {
    location.replace("#/create");
    return;
  }
  renderAccount();
  highlightNav(name);
  if (current && current.onHide) current.onHide();
  if (name === "signin") {
    current = null;
    document.title = "Sign in · Image Studio";
    replace(main, renderSignIn(api, async () => {
      renderAccount();
      location.hash = "#/create";
    }));
    return;
  }
  if (!pages[name]) {
    const Page = name === "library" ? LibraryPage : CreatePage;
    pages[name] = new Page(api, { navigate, refreshUsage });
  }
  current = pages[name];
  document.title = `${name === "library" ? "Library" : "Create"} · Image Studio`;
  replace(main, current.el);
  current.onShow(location.hash);
}

/** Go to `name` ("create" | "library"); `payload` is handed to the page's onShow. */
function navigate(name, payload) {
  if (!pages[name]) {
    const Page = name === "library" ? LibraryPage : CreatePage;
    pages[name] = new Page(api, { navigate, refreshUsage });
  }
  if (payload && pages[name].receive) pages[name].receive(payload);
  location.hash = `#/${name}`;
}

let booted = false;

async function boot() {
  try {
    session.config = await api.config();
  } catch (error) {
    // The connection banner retries; when the studio answers, boot again.
    replace(main, h("div", { class: "boot boot-error" }, explainBlock(error)));
    return;
  }
  booted = true;
  if (session.restore()) {
    try {
      const info = await api.session(session.key);
      session.user = info.user;
      session.catalog = info;
    } catch {
      session.clear();
    }
  }
  window.addEventListener("hashchange", route);
  route();
}

onReconnect(() => {
  if (!booted) boot();
});
boot();
