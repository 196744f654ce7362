// Chat playground: Chat Completions or Responses (with file_search over chosen vector
// stores and shields as guardrails), streamed, with time to first token and tokens/s.
import { listAll, serves, stream } from "../api.js";
import { field, h, message, replace } from "../dom.js";

function number(label, props) {
  return field(label, h("input", { type: "number", ...props }));
}

// items: [value, label] pairs.
function checkboxes(legend, items, name) {
  const box = h("fieldset", { class: "checks" }, h("legend", {}, legend));
  if (!items.length) box.append(h("small", {}, "none available"));
  for (const [value, label] of items) {
    box.append(h("label", {}, h("input", { type: "checkbox", name, value }), ` ${label}`));
  }
  return box;
}

function checked(root, name) {
  return [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((el) => el.value);
}

function numberOrNull(input) {
  return input.value === "" ? undefined : Number(input.value);
}

async function optional(path) {
  return (await serves("GET", path)) ? listAll(path).catch(() => []) : [];
}

export async function render(view) {
  const [modelList, stores, shields] = await Promise.all([
    listAll("/v1/models"),
    optional("/v1/vector_stores"),
    optional("/v1/shields"),
  ]);
  const chatModels = modelList.filter((m) => (m.custom_metadata?.model_type || m.model_type) !== "embedding");
  const model = h("select", { id: "model" }, chatModels.map((m) => h("option", { value: m.id }, m.id)));
  const mode = h("select", { id: "mode" },
    h("option", { value: "chat" }, "Chat Completions"), h("option", { value: "responses" }, "Responses"));
  const system = h("textarea", { id: "system", rows: 3, placeholder: "You are a helpful assistant." });
  const temperature = h("input", { type: "number", id: "temperature", min: 0, max: 2, step: 0.1 });
  const maxTokens = h("input", { type: "number", id: "max-tokens", min: 1, step: 1 });
  const topP = h("input", { type: "number", id: "top-p", min: 0, max: 1, step: 0.05 });
  const jsonMode = h("input", { type: "checkbox", id: "json-mode" });
  const storeBox = checkboxes("file_search over", stores.map((s) => [s.id, s.name ? `${s.name} (${s.id})` : s.id]), "store");
  const shieldBox = checkboxes("Guardrails (shields)", shields.map((s) => [s.identifier, s.identifier]), "shield");
  const responsesOnly = h("div", { class: "responses-only", hidden: true }, storeBox, shieldBox);
  mode.addEventListener("change", () => { responsesOnly.hidden = mode.value !== "responses"; reset(); });

  const transcript = h("div", { class: "transcript", "aria-live": "polite", id: "transcript" });
  const tools = h("ol", { class: "tools", id: "tool-calls", "aria-label": "Tool calls" });
  const stats = h("p", { class: "stats", id: "stats", role: "status" });
  const prompt = h("textarea", { id: "prompt", rows: 3, placeholder: "Ask something (Ctrl+Enter sends)" });
  const send = h("button", { type: "submit", id: "send" }, "Send");
  const stop = h("button", { type: "button", id: "stop", disabled: true }, "Stop");
  const clear = h("button", { type: "button", id: "clear" }, "New conversation");
  const errors = h("div", { id: "chat-errors" });

  let messages = [];
  let previousResponse = null;
  let controller = null;
  function reset() {
    messages = [];
    previousResponse = null;
    replace(transcript);
    replace(tools);
    replace(errors);
    stats.textContent = "";
  }
  clear.addEventListener("click", reset);
  stop.addEventListener("click", () => controller?.abort());
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  const form = h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); run(); } },
    field("Message", prompt), h("div", { class: "buttons" }, send, stop, clear));

  async function run() {
    const text = prompt.value.trim();
    if (!text || !model.value) return;
    prompt.value = "";
    replace(errors);
    transcript.append(h("div", { class: "turn user" }, h("strong", {}, "You"), h("p", {}, text)));
    const out = h("p", { class: "answer" });
    transcript.append(h("div", { class: "turn assistant" }, h("strong", {}, model.value), out));
    const meter = new Meter(stats);
    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    try {
      if (mode.value === "chat") await runChat(text, out, meter);
      else await runResponses(text, out, meter);
      meter.done();
    } catch (err) {
      if (err.name === "AbortError") meter.done("stopped");
      else errors.append(message("error", err.message));
    } finally {
      controller = null;
      send.disabled = false;
      stop.disabled = true;
    }
  }

  function params(body) {
    const t = numberOrNull(temperature);
    const p = numberOrNull(topP);
    if (t !== undefined) body.temperature = t;
    if (p !== undefined) body.top_p = p;
    return body;
  }

  async function runChat(text, out, meter) {
    if (!messages.length && system.value.trim()) messages.push({ role: "system", content: system.value.trim() });
    messages.push({ role: "user", content: text });
    const body = params({ model: model.value, messages, stream: true, stream_options: { include_usage: true } });
    const max = numberOrNull(maxTokens);
    if (max !== undefined) body.max_tokens = max;
    if (jsonMode.checked) body.response_format = { type: "json_object" };
    let answer = "";
    for await (const event of stream("/v1/chat/completions", body, controller.signal)) {
      if (event.data === "[DONE]") break;
      const data = JSON.parse(event.data);
      if (event.event === "error" || data.error) throw new Error(data.error?.message || "stream failed");
      if (data.usage) meter.usage(data.usage.completion_tokens);
      const delta = data.choices?.[0]?.delta || {};
      for (const call of delta.tool_calls || []) {
        if (call.function?.name) tools.append(h("li", {}, `function ${call.function.name}(${call.function.arguments || ""})`));
      }
      if (delta.content) {
        meter.token();
        answer += delta.content;
        out.textContent = answer;
      }
    }
    messages.push({ role: "assistant", content: answer });
  }

  async function runResponses(text, out, meter) {
    const body = params({ model: model.value, input: text, stream: true });
    if (system.value.trim()) body.instructions = system.value.trim();
    const max = numberOrNull(maxTokens);
    if (max !== undefined) body.max_output_tokens = max;
    if (jsonMode.checked) body.text = { format: { type: "json_object" } };
    if (previousResponse) body.previous_response_id = previousResponse;
    const chosen = checked(storeBox, "store");
    if (chosen.length) {
      body.tools = [{ type: "file_search", vector_store_ids: chosen }];
      body.include = ["file_search_call.results"];
    }
    const guards = checked(shieldBox, "shield");
    if (guards.length) body.guardrails = guards;
    const items = new Map();
    let answer = "";
    for await (const event of stream("/v1/responses", body, controller.signal)) {
      const data = JSON.parse(event.data);
      switch (data.type) {
        case "response.output_text.delta":
          meter.token();
          answer += data.delta;
          out.textContent = answer;
          break;
        case "response.refusal.delta":
          answer += data.delta;
          out.textContent = answer;
          out.classList.add("refusal");
          break;
        case "response.output_item.added":
        case "response.output_item.done":
          showItem(items, data.item);
          break;
        case "response.completed":
          previousResponse = data.response.id;
          if (data.response.usage) meter.usage(data.response.usage.output_tokens);
          break;
        case "response.failed":
        case "response.incomplete":
          previousResponse = data.response?.id || previousResponse;
          throw new Error(data.response?.error?.message || data.type);
        case "error":
          throw new Error(data.message || data.error?.message || "stream failed");
        default:
          if (event.event === "error") throw new Error(data.error?.message || "stream failed");
      }
    }
  }

  function showItem(items, item) {
    if (!item || item.type === "message" || item.type === "reasoning") return;
    let row = items.get(item.id);
    if (!row) {
      row = h("li", { class: "tool-call" });
      items.set(item.id, row);
      tools.append(row);
    }
    const parts = [h("strong", {}, item.type), ` ${item.status || ""}`];
    if (item.queries) parts.push(h("div", {}, `queries: ${item.queries.join(" | ")}`));
    if (item.name) parts.push(h("div", {}, `${item.server_label ? item.server_label + "." : ""}${item.name}(${item.arguments || ""})`));
    for (const result of item.results || []) {
      parts.push(h("div", { class: "hit" }, `${result.filename} (score ${Number(result.score).toFixed(3)}): ${result.text || ""}`));
    }
    if (item.output) parts.push(h("div", {}, `→ ${item.output}`));
    if (item.error) parts.push(h("div", { class: "msg error" }, String(item.error)));
    replace(row, parts);
  }

  replace(view,
    h("h1", {}, "Playground"),
    chatModels.length ? null : message("warn", "No chat model is served (see Models & health)."),
    h("div", { class: "columns" },
      h("section", { class: "settings", "aria-label": "Settings" },
        field("Mode", mode), field("Model", model), field("System prompt", system),
        field("Temperature", temperature), field("Max tokens", maxTokens), field("Top p", topP),
        h("label", { class: "inline" }, jsonMode, " JSON mode"), responsesOnly),
      h("section", { class: "conversation", "aria-label": "Conversation" },
        transcript, stats, errors, h("h2", {}, "Tool calls"), tools, form)));
  return () => controller?.abort();
}

// Time to first token and tokens per second of one answer (tokens from the usage the
// server reports, else the number of streamed text deltas).
class Meter {
  constructor(el) {
    this.el = el;
    this.start = performance.now();
    this.first = null;
    this.deltas = 0;
    this.tokens = null;
    el.textContent = "waiting for the first token…";
  }
  token() {
    if (this.first === null) this.first = performance.now();
    this.deltas += 1;
  }
  usage(tokens) {
    if (typeof tokens === "number") this.tokens = tokens;
  }
  done(note) {
    const end = performance.now();
    const count = this.tokens ?? this.deltas;
    if (this.first === null) {
      this.el.textContent = note ? `${note} before the first token` : "no text in the answer";
      return;
    }
    const ttft = this.first - this.start;
    // One delta (an answer sent whole) has no generation time of its own: use the total.
    const seconds = (end - (this.deltas > 1 ? this.first : this.start)) / 1000;
    const rate = seconds > 0 ? (count / seconds).toFixed(1) : "–";
    this.el.textContent = `time to first token ${ttft.toFixed(0)} ms · ${count} tokens · ${rate} tokens/s` + (note ? ` · ${note}` : "");
  }
}
