// Stored chat completions and responses: browse, filter by model, open one.
import { api, serves } from "../api.js";
import { field, h, json, message, replace, select, table, when } from "../dom.js";

const KINDS = {
  completions: { label: "Chat completions", path: "/v1/chat/completions", one: "/v1/chat/completions/{completion_id}" },
  responses: { label: "Responses", path: "/v1/responses", one: "/v1/responses/{response_id}" },
};

function preview(record) {
  if (record.choices) return record.choices[0]?.message?.content || "";
  if (typeof record.output_text === "string") return record.output_text;
  for (const item of record.output || []) {
    for (const part of item.content || []) if (part.text) return part.text;
  }
  return "";
}

export async function render(view) {
  const kinds = [];
  for (const [key, kind] of Object.entries(KINDS)) if (await serves("GET", kind.path)) kinds.push([key, kind.label]);
  if (!kinds.length) {
    replace(view, h("h1", {}, "Stored"), message("info", "Not available: nothing is stored on this server."));
    return null;
  }
  const kind = select(kinds, { id: "stored-kind" });
  const model = h("input", { id: "stored-model", placeholder: "any model" });
  const list = h("div", { id: "stored-list" });
  const detail = h("section", { id: "stored-detail", "aria-label": "Stored item" });

  async function load(event) {
    event?.preventDefault();
    replace(detail);
    const params = new URLSearchParams({ limit: "50", order: "desc" });
    if (model.value.trim()) params.set("model", model.value.trim());
    const base = KINDS[kind.value].path;
    try {
      const page = await api(`${base}?${params}`);
      replace(list, page.data.length
        ? table(["Created", "Model", "Id", "Preview", ""], page.data.map((r) => [
          when(r.created || r.created_at), r.model, r.id, preview(r).slice(0, 120),
          h("button", { type: "button", onclick: () => open(base, r.id) }, `Open ${r.id}`),
        ]))
        : message("info", "Nothing stored yet."));
    } catch (err) {
      replace(list, message("error", err.message));
    }
  }

  async function open(base, id) {
    try {
      replace(detail, h("h2", {}, id), json(await api(`${base}/${encodeURIComponent(id)}`)));
    } catch (err) {
      replace(detail, message("error", err.message));
    }
  }

  kind.addEventListener("change", () => load());
  replace(view, h("h1", {}, "Stored chat completions and responses"),
    h("form", { class: "row", onsubmit: load }, field("Kind", kind), field("Model", model), h("button", { type: "submit", id: "stored-filter" }, "Filter")),
    list, detail);
  await load();
  return null;
}
