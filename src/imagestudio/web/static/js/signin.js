// Sign in with an API key, or (only when `serve --single-user` offers it) as the local user.

import { h } from "./dom.js";
import { session } from "./session.js";

async function adopt(api, key, mode) {
  const info = await api.session(key);
  session.save(key, mode);
  session.user = info.user;
  session.catalog = info;
}

export function renderSignIn(api, onSignedIn) {
  const error = h("p", { class: "form-error", id: "signin-error", role: "alert", hidden: true });
  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
  };
  const input = h("input", {
    type: "password", id: "api-key", name: "api-key", autocomplete: "off", spellcheck: "false",
    required: true, placeholder: "isk_…", "aria-describedby": "api-key-hint signin-error",
  });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Sign in");
  const form = h("form", { class: "stack", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("p", { class: "hint", id: "api-key-hint" },
        "No key yet? On the server run ", h("code", {}, "imagestudio users create YOUR-NAME"),
        " and paste the key it prints. The key stays in this browser tab only.")),
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      showError("Paste your API key first.");
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await adopt(api, key, "key");
      onSignedIn();
    } catch (failure) {
      showError(failure.message);
      input.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });

  const card = h("section", { class: "signin-card card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Image Studio"),
    h("p", { class: "lead" },
      "Turn a brief into platform-ready images for every channel, with the cost shown before you spend."),
    form);

  if (session.config && session.config.single_user) {
    const local = h("button", { class: "btn btn-block", type: "button" }, "Continue as local user");
    local.addEventListener("click", async () => {
      local.disabled = true;
      try {
        const granted = await api.localSession();
        await adopt(api, granted.key, "local");
        onSignedIn();
      } catch (failure) {
        showError(failure.message);
      } finally {
        local.disabled = false;
      }
    });
    card.append(
      h("div", { class: "divider", role: "separator" }, h("span", {}, "or")),
      h("div", { class: "notice notice-warn" },
        h("p", {}, h("strong", {}, "Single-user mode is on. "),
          "This server was started with ", h("code", {}, "--single-user"),
          ": anyone using this computer can work as the local user without a key."),
        local),
    );
  }
  return h("div", { class: "signin-page" }, card);
}
