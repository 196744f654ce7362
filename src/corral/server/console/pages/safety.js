// Safety: run a shield on a text and see the violation, if any.
import { api, listAll, serves } from "../api.js";
import { field, h, json, message, replace, select } from "../dom.js";

export async function render(view) {
  if (!(await serves("POST", "/v1/safety/run-shield")) || !(await serves("GET", "/v1/shields"))) {
    replace(view, h("h1", {}, "Safety"), message("info", "Not available: this server has no safety provider."));
    return null;
  }
  const shields = await listAll("/v1/shields");
  if (!shields.length) {
    replace(view, h("h1", {}, "Safety"), message("info", "No shields are registered (shields: in the run config)."));
    return null;
  }
  const shield = select(shields.map((s) => s.identifier), { id: "shield" });
  const role = select(["user", "assistant"], { id: "shield-role" });
  const text = h("textarea", { id: "shield-text", rows: 4, required: true });
  const result = h("div", { id: "shield-result", "aria-live": "polite" });

  async function run(event) {
    event.preventDefault();
    try {
      const answer = await api("/v1/safety/run-shield", {
        method: "POST",
        body: { shield_id: shield.value, messages: [{ role: role.value, content: text.value }] },
      });
      const v = answer.violation;
      replace(result, v
        ? [message(v.violation_level === "error" ? "error" : "warn", `Violation (${v.violation_level}): ${v.user_message || ""}`), json(v.metadata)]
        : message("ok", "No violation."));
    } catch (err) {
      replace(result, message("error", err.message));
    }
  }

  replace(view, h("h1", {}, "Safety"),
    h("form", { onsubmit: run }, field("Shield", shield), field("Role", role), field("Text", text),
      h("button", { type: "submit", id: "shield-check" }, "Check")),
    result);
  return null;
}
