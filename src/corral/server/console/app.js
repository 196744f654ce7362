// The console's shell: the token box, the navigation and the hash router.
// Each page module exports `render(view)` and may return a cleanup function.
import { forgetRoutes, token } from "./api.js";
import { h, message, replace } from "./dom.js";
import * as chat from "./pages/chat.js";
import * as models from "./pages/models.js";
import * as safety from "./pages/safety.js";
import * as stored from "./pages/stored.js";
import * as usage from "./pages/usage.js";
import * as vectorStores from "./pages/vector_stores.js";

const PAGES = {
  chat: ["Playground", chat],
  "vector-stores": ["Vector stores", vectorStores],
  models: ["Models & health", models],
  stored: ["Stored", stored],
  safety: ["Safety", safety],
  usage: ["Usage", usage],
};

let cleanup = null;

function banner(text) {
  const el = document.getElementById("banner");
  el.hidden = !text;
  el.textContent = text || "";
}

async function route() {
  const name = location.hash.replace(/^#\/?/, "").split("/")[0] || "chat";
  const [title, page] = PAGES[name] || PAGES.chat;
  if (cleanup) cleanup();
  cleanup = null;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${title} · corral console`;
  const view = document.getElementById("view");
  delete view.dataset.page;
  replace(view);
  try {
    cleanup = (await page.render(view)) || null;
  } catch (err) {
    replace(view, h("h1", {}, title), message("error", err.message));
  }
  view.dataset.page = name; // rendered (tests and scripts wait for this)
}

function setUpToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token");
  input.value = token.get();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    forgetRoutes();
    banner("");
    route();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    token.clear();
    forgetRoutes();
    input.value = "";
    route();
  });
  window.addEventListener("corral:unauthenticated", (event) => {
    banner(`This server needs an API key or token (${event.detail}). Type it above and press Use.`);
    input.focus();
  });
}

setUpToken();
window.addEventListener("hashchange", route);
route();
