// Vector stores and files: create, upload (drag and drop) with ingestion progress,
// files with status and failures, search with mode and scores, delete.
import { api, listAll, serves } from "../api.js";
import { field, h, message, replace, select, table, when } from "../dom.js";

const POLL_MS = 400;

export async function render(view) {
  if (!(await serves("GET", "/v1/vector_stores"))) {
    replace(view, h("h1", {}, "Vector stores"),
      message("info", "Not available: this server has no vector_io provider (providers.vector_io)."));
    return null;
  }
  const list = h("div", { id: "store-list" });
  const detail = h("section", { id: "store-detail", "aria-label": "Vector store" });
  const name = h("input", { id: "store-name", placeholder: "docs" });
  const notes = h("div");
  let timer = null;
  let alive = true;

  async function refresh(selected) {
    let stores;
    try {
      stores = await listAll("/v1/vector_stores?limit=100");
    } catch (err) {
      replace(list, message("error", err.message));
      return;
    }
    replace(list, stores.length
      ? table(["Name", "Id", "Files", "Created", ""], stores.map((s) => [
        s.name || "", s.id,
        `${s.file_counts?.completed ?? 0} done / ${s.file_counts?.in_progress ?? 0} in progress / ${s.file_counts?.failed ?? 0} failed`,
        when(s.created_at),
        h("button", { type: "button", class: "open", onclick: () => open(s) }, `Open ${s.name || s.id}`),
      ]))
      : message("info", "No vector stores yet."));
    if (selected) open(stores.find((s) => s.id === selected) || { id: selected });
  }

  async function create(event) {
    event.preventDefault();
    replace(notes);
    try {
      const store = await api("/v1/vector_stores", { method: "POST", body: { name: name.value.trim() || undefined } });
      name.value = "";
      await refresh(store.id);
    } catch (err) {
      notes.append(message("error", err.message));
    }
  }

  function open(store) {
    clearTimeout(timer);
    const files = h("div", { id: "files" });
    const progress = h("ul", { id: "uploads", class: "uploads", "aria-live": "polite" });
    const input = h("input", { type: "file", id: "file-input", multiple: true });
    const drop = h("div", { class: "drop", id: "drop", tabindex: 0 },
      "Drop files here, or ", field("choose files", input));
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      uploadAll([...e.dataTransfer.files]);
    });
    input.addEventListener("change", () => { uploadAll([...input.files]); input.value = ""; });

    const query = h("input", { id: "search-query", placeholder: "What to look for" });
    const mode = select(["vector", "keyword", "hybrid"], { id: "search-mode" });
    const count = h("input", { type: "number", id: "search-count", value: "5", min: 1, max: 50 });
    const results = h("div", { id: "search-results", "aria-live": "polite" });
    const search = h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      replace(results, message("info", "Searching…"));
      try {
        const page = await api(`/v1/vector_stores/${store.id}/search`, {
          method: "POST",
          body: { query: query.value, search_mode: mode.value, max_num_results: Number(count.value) || 5 },
        });
        replace(results, page.data.length
          ? table(["Score", "File", "Text"], page.data.map((r) => [
            r.score.toFixed(4), r.filename || r.file_id, r.content.map((c) => c.text).join("\n"),
          ]))
          : message("info", "No results."));
      } catch (err) {
        replace(results, message("error", err.message));
      }
    } }, field("Query", query), field("Mode", mode), field("Results", count), h("button", { type: "submit", id: "search" }, "Search"));

    async function uploadAll(picked) {
      for (const file of picked) {
        const row = h("li", {}, `${file.name}: uploading…`);
        progress.append(row);
        try {
          const form = new FormData();
          form.append("purpose", "assistants");
          form.append("file", file);
          const uploaded = await api("/v1/files", { method: "POST", form });
          row.textContent = `${file.name}: ingesting…`;
          let attached = await api(`/v1/vector_stores/${store.id}/files`, { method: "POST", body: { file_id: uploaded.id } });
          while (alive && attached.status === "in_progress") {
            await new Promise((r) => setTimeout(r, POLL_MS));
            attached = await api(`/v1/vector_stores/${store.id}/files/${uploaded.id}`);
          }
          row.textContent = `${file.name}: ${attached.status}` + (attached.last_error ? ` (${attached.last_error.message})` : "");
          row.className = attached.status;
        } catch (err) {
          row.textContent = `${file.name}: ${err.message}`;
          row.className = "failed";
        }
        loadFiles();
      }
      refresh();
    }

    async function loadFiles() {
      try {
        const data = await listAll(`/v1/vector_stores/${store.id}/files?limit=100`);
        replace(files, data.length
          ? table(["File", "Status", "Failure", "Bytes", ""], data.map((f) => [
            f.id, h("span", { class: `status ${f.status}` }, f.status), f.last_error?.message || "", f.usage_bytes,
            h("button", { type: "button", onclick: async () => {
              await api(`/v1/vector_stores/${store.id}/files/${f.id}`, { method: "DELETE" }).catch((err) => files.append(message("error", err.message)));
              loadFiles();
            } }, `Remove ${f.id}`),
          ]))
          : message("info", "No files in this store."));
        if (alive && data.some((f) => f.status === "in_progress")) timer = setTimeout(loadFiles, 1000);
      } catch (err) {
        replace(files, message("error", err.message));
      }
    }

    const remove = h("button", { type: "button", class: "danger", id: "delete-store", onclick: async () => {
      if (!confirm(`Delete vector store ${store.name || store.id}?`)) return;
      try {
        await api(`/v1/vector_stores/${store.id}`, { method: "DELETE" });
        replace(detail);
        refresh();
      } catch (err) {
        detail.append(message("error", err.message));
      }
    } }, "Delete store");

    replace(detail,
      h("h2", {}, `Store ${store.name || ""} (${store.id})`),
      drop, progress, h("h3", {}, "Files"), files, h("h3", {}, "Search"), search, results, remove);
    loadFiles();
  }

  replace(view,
    h("h1", {}, "Vector stores"),
    h("form", { class: "row", onsubmit: create }, field("New store name", name), h("button", { type: "submit", id: "create-store" }, "Create")),
    notes, list, detail);
  await refresh();
  return () => { alive = false; clearTimeout(timer); };
}
