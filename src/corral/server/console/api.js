// The console's only way to the server: fetch with the bearer token kept in this
// tab's sessionStorage (gone when the tab closes; never in localStorage or a cookie,
// so there is nothing for another site to ride on: CSRF-safe by construction).

const TOKEN_KEY = "corral.console.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  const out = { ...extra };
  const t = token.get();
  if (t) out.Authorization = `Bearer ${t}`;
  return out;
}

async function failure(response) {
  let text = response.statusText || `HTTP ${response.status}`;
  let code;
  try {
    const body = await response.json();
    text = body?.error?.message || text;
    code = body?.error?.code;
  } catch {
    // not JSON: keep the status text
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("corral:unauthenticated", { detail: text }));
  }
  return new ApiError(response.status, `${response.status}: ${text}`, code);
}

export async function api(path, { method = "GET", body, form, signal } = {}) {
  const init = { method, signal, headers: headers() };
  if (form) {
    init.body = form;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  return response.json();
}

export async function listAll(path) {
  const page = await api(path);
  return page.data || [];
}

// POST `body` and yield the server-sent events of the answer as {event, data}.
export async function* stream(path, body, signal) {
  const response = await fetch(path, {
    method: "POST",
    signal,
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
}

function parseEvent(raw) {
  let event = "message";
  const data = [];
  for (const line of raw.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { event, data: data.join("\n") } : null;
}

// The routes this server serves (GET /v1/inspect/routes), asked once per token, so a
// page shows "not served here" instead of calling a route that would answer 404.
let routes = null;

export function forgetRoutes() {
  routes = null;
}

export async function serves(method, route) {
  routes ??= api("/v1/inspect/routes")
    .then((page) => new Set(page.data.map((r) => `${r.method} ${r.route}`)))
    .catch(() => null); // unknown (e.g. route_policy hides it): try, and show the error
  const known = await routes;
  return known === null || known.has(`${method} ${route}`);
}

export async function servedRoutes() {
  await serves("GET", "/v1/models");
  const known = await routes;
  return known ? [...known] : [];
}
