// Usage and metrics: shown when the server serves a usage or metrics route; until
// then a clear "not available" state (nothing is probed that would answer 404).
import { api, servedRoutes } from "../api.js";
import { h, json, message, replace } from "../dom.js";

export async function render(view) {
  const routes = (await servedRoutes()).filter((r) => r.startsWith("GET ") && /usage|metrics/.test(r));
  if (!routes.length) {
    replace(view, h("h1", {}, "Usage and metrics"),
      message("info", "Not available: this server does not serve usage or metrics yet."));
    return null;
  }
  replace(view, h("h1", {}, "Usage and metrics"));
  for (const route of routes) {
    const path = route.slice(4);
    if (path.includes("{")) continue;
    try {
      view.append(h("h2", {}, path), json(await api(path)));
    } catch (err) {
      view.append(h("h2", {}, path), message("error", err.message));
    }
  }
  return null;
}
