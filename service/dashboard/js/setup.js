// Setup: brands (with a query editor that validates as you type and previews what it
// finds), sources, API keys and webhooks. Brands are here; the rest in setup_ops.js.

import { api, ApiError } from "./api.js";
import { fill, fmt, h, section, sentimentBadge, status } from "./ui.js";
import { auditPanel, keysPanel, sourcesPanel, webhooksPanel } from "./setup_ops.js";

const TYPING_PAUSE_MS = 300; // validate once typing pauses: one request per pause, not per key
const MATCHES_SHOWN = 5;
const LIST_FIELDS = ["aliases", "exclusions", "competitors", "owned_domains", "spokespeople"];

export function render(view, ctx) {
  const brands = section("Brands", brandEditor(ctx));
  const sources = section("Sources", sourcesPanel());
  const keys = section("API keys", keysPanel(ctx));
  const hooks = section("Webhooks", webhooksPanel(ctx));
  const audit = section("Audit log", auditPanel());
  view.append(brands, sources, keys, hooks, audit);
}

function brandEditor(ctx) {
  const box = h("div", { class: "brand-editor" });
  const picker = h("select", { id: "brand-pick", onchange: () => show(picker.value) },
    ctx.brands.map((b) => h("option", { value: b.id }, b.name)), h("option", { value: "" }, "New brand…"));
  const editor = h("div");
  box.append(h("label", {}, "Edit ", picker), editor);
  const show = (id) => editor.replaceChildren(...brandForm(ctx, ctx.brands.find((b) => b.id === id) || null));
  picker.value = ctx.brand?.id || "";
  show(picker.value);
  return box;
}

function brandForm(ctx, brand) {
  const input = (name, label, value, attrs = {}) => {
    const control = h("input", { name, value: value ?? "", ...attrs });
    return [h("label", { for: `b-${name}` }, label), Object.assign(control, { id: `b-${name}` })];
  };
  const query = h("textarea", { id: "b-query", name: "query", rows: 3, spellcheck: "false", "aria-describedby": "query-check" }, brand?.query || "");
  const messages = h("textarea", { id: "b-key_messages", name: "key_messages", rows: 3 }, (brand?.key_messages || []).join("\n"));
  const check = h("div", { id: "query-check", class: "query-check", "aria-live": "polite" });
  const sample = h("textarea", { id: "b-sample", rows: 3, placeholder: "Paste an article or a sentence to see what this brand finds in it." });
  const preview = h("div", { id: "analyze-preview", "aria-live": "polite" });
  const saved = h("p", { class: "summary", role: "status" });
  const form = h(
    "form",
    { class: "grid-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    input("id", "Id", brand?.id, { required: true, pattern: "[a-z0-9][a-z0-9_-]*", readonly: Boolean(brand) }),
    input("name", "Name", brand?.name, { required: true }),
    h("label", { for: "b-query" }, "Query"), query,
    h("span"), check,
    LIST_FIELDS.map((f) => input(f, `${f.replace("_", " ")} (comma-separated)`, (brand?.[f] || []).join(", "))),
    h("label", { for: "b-key_messages" }, "Key messages (one per line)"), messages,
    h("span"), h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, brand ? "Save brand" : "Add brand"), saved),
  );
  const previewBox = h("div", { class: "preview" },
    h("h3", {}, "Preview on a sample"), h("label", { for: "b-sample" }, "Sample text"), sample,
    h("button", { type: "button", onclick: () => analyze() }, "Preview matches"), preview);

  let timer = null;
  let generation = 0;
  const validate = async () => {
    const text = query.value.trim();
    const mine = ++generation;
    if (!text) { check.replaceChildren(h("p", { class: "hint" }, "Empty: the brand is found by its name and aliases.")); return; }
    try {
      const result = await api("/v1/queries/validate", { method: "POST", json: { query: text, limit: MATCHES_SHOWN } });
      if (mine !== generation) return;
      query.setAttribute("aria-invalid", "false");
      const m = result.matches;
      check.replaceChildren(
        h("p", { class: "ok" }, `✓ Valid. ${fmt.int(m.total)}${m.complete ? "" : "+"} stored document(s) match.`),
        h("pre", { class: "outline" }, result.explanation.outline.join("\n")),
        h("ul", { class: "matches" }, m.items.map((d) => h("li", {}, h("a", { href: d.url, target: "_blank", rel: "noopener noreferrer" }, d.title || d.url), ` · ${d.outlet || d.domain} · ${fmt.date(d.published_at)}`))),
      );
    } catch (error) {
      if (mine !== generation) return;
      query.setAttribute("aria-invalid", "true");
      const position = error.problem?.errors?.[0]?.position;
      check.replaceChildren(h("p", { class: "error" }, `✗ ${error.message}`),
        position !== undefined && position !== null ? h("pre", { class: "outline" }, `${text}\n${" ".repeat(position)}^`) : null);
    }
  };
  query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(validate, TYPING_PAUSE_MS); });
  validate();

  const body = () => {
    const data = new FormData(form);
    const list = (name) => String(data.get(name) || "").split(",").map((s) => s.trim()).filter(Boolean);
    const out = { ...(brand || {}), id: String(data.get("id")).trim(), name: String(data.get("name")).trim(), query: query.value.trim() || null };
    for (const f of LIST_FIELDS) out[f] = list(f);
    out.key_messages = messages.value.split("\n").map((s) => s.trim()).filter(Boolean);
    return out;
  };

  async function analyze() {
    if (!sample.value.trim()) { preview.replaceChildren(status("Paste a sample first.")); return; }
    const b = body();
    const spec = { name: b.name || b.id || "brand", query: b.query || undefined, exclusions: b.exclusions, key_messages: b.key_messages };
    fill(preview, api("/v1/analyze", { method: "POST", json: { text: sample.value, brands: [spec] } }), (result) =>
      result.mentions.length
        ? h("ul", { class: "matches" }, result.mentions.map((m) => h("li", {}, sentimentBadge(m.sentiment), ` ${m.brand}: ${m.count} mention(s)`,
            h("ul", {}, m.snippets.map((s) => h("li", { class: "snippet" }, s))))))
        : h("p", { class: "empty" }, "No mention of this brand in the sample."));
  }

  async function save() {
    const b = body();
    saved.textContent = "Saving…";
    try {
      if (brand) await api(`/v1/brands/${encodeURIComponent(b.id)}`, { method: "PUT", json: b });
      else await api("/v1/brands", { method: "POST", json: b });
      saved.textContent = "Saved.";
      await ctx.refresh();
    } catch (error) {
      const fields = error instanceof ApiError ? (error.problem.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ") : "";
      saved.textContent = `Not saved: ${fields || error.message}`;
    }
  }

  return [form, previewBox];
}
