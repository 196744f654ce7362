// Models, providers and health: what is served, each provider's state (Loading/Error
// with its message), and registering or unregistering models where allowed.
import { api, listAll } from "../api.js";
import { field, h, message, replace, select, table } from "../dom.js";

function healthText(health) {
  if (!health) return "";
  return health.message ? `${health.status}: ${health.message}` : health.status;
}

export async function render(view) {
  const summary = h("div", { id: "health" });
  const models = h("div", { id: "models" });
  const providers = h("div", { id: "providers" });
  const notes = h("div");
  const modelId = h("input", { id: "register-id", required: true });
  const providerId = h("input", { id: "register-provider", placeholder: "optional with one provider" });
  const providerModel = h("input", { id: "register-provider-model", placeholder: "defaults to the id" });
  const modelType = select(["llm", "embedding", "rerank"], { id: "register-type" });

  async function load() {
    const [health, version, modelList, providerList] = await Promise.all([
      api("/v1/health"), api("/v1/version"), listAll("/v1/models"),
      listAll("/v1/providers").catch((err) => { notes.append(message("error", err.message)); return []; }),
    ]);
    const problems = Object.entries(health.providers || {}).map(([id, s]) => `${id}: ${healthText(s)}`);
    const storage = Object.entries(health.storage || {}).map(([id, s]) => `storage ${id}: ${s}`);
    replace(summary,
      h("p", { class: `status ${health.status}` }, `Server ${health.status} · corral ${version.version}`),
      [...problems, ...storage].map((line) => h("p", { class: "msg warn" }, line)));
    replace(models, modelList.length
      ? table(["Model", "Type", "Provider", "Provider's id", ""], modelList.map((m) => {
        const meta = m.custom_metadata || m;
        return [m.id, meta.model_type, meta.provider_id, meta.provider_resource_id,
          h("button", { type: "button", onclick: () => unregister(m.id) }, `Unregister ${m.id}`)];
      }))
      : message("info", "No models are served."));
    replace(providers, providerList.length
      ? table(["Provider", "API", "Type", "Health"], providerList.map((p) => [
        p.provider_id, p.api, p.provider_type,
        h("span", { class: `status ${p.health?.status || ""}` }, healthText(p.health)),
      ]))
      : message("info", "No providers listed."));
  }

  async function unregister(id) {
    replace(notes);
    try {
      await api(`/v1/models/${encodeURIComponent(id)}`, { method: "DELETE" });
      await load();
    } catch (err) {
      notes.append(message("error", err.message));
    }
  }

  async function register(event) {
    event.preventDefault();
    replace(notes);
    const body = { model_id: modelId.value.trim(), model_type: modelType.value };
    if (providerId.value.trim()) body.provider_id = providerId.value.trim();
    if (providerModel.value.trim()) body.provider_model_id = providerModel.value.trim();
    try {
      await api("/v1/models", { method: "POST", body });
      modelId.value = "";
      await load();
    } catch (err) {
      notes.append(message("error", err.message));
    }
  }

  replace(view,
    h("h1", {}, "Models, providers and health"), summary, notes,
    h("h2", {}, "Models"), models,
    h("form", { class: "row", onsubmit: register, "aria-label": "Register a model" },
      field("Model id", modelId), field("Provider id", providerId),
      field("Provider's model id", providerModel), field("Type", modelType),
      h("button", { type: "submit", id: "register" }, "Register")),
    h("h2", {}, "Providers"), providers);
  await load();
  return null;
}
