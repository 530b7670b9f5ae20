// Setup panels for operators: sources (health, enable/disable, OPML import and
// export), API keys (make, revoke) and webhook subscriptions (add, remove).

import { api, optional } from "./api.js";
import { download, fill, fmt, guarded, h, table } from "./ui.js";

const HEALTH_PAGE = 500; // the API's largest page: one request answers up to 500 sources

/** Every source's health by id, from /v1/sources/health: one request per page, not per source. */
async function allHealth() {
  const byId = new Map();
  let cursor = null;
  do {
    const page = await api("/v1/sources/health", { query: { limit: HEALTH_PAGE, cursor } });
    for (const health of page.items) byId.set(health.source_id, health);
    cursor = page.next_cursor;
  } while (cursor);
  return byId;
}

export function sourcesPanel() {
  const box = h("div", { id: "sources" });
  const note = h("p", { class: "summary", role: "status" });
  const file = h("input", { type: "file", id: "opml-file", accept: ".opml,.xml,text/x-opml,application/xml" });
  const tools = h("div", { class: "toolbar" },
    h("label", { for: "opml-file" }, "Import OPML"), file,
    h("button", { type: "button", onclick: () => exportOpml() }, "Export OPML"), note);
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    note.textContent = "Importing…";
    try {
      const counts = await api("/v1/sources/opml", { method: "POST", body: await chosen.text(), contentType: "text/x-opml" });
      note.textContent = `Imported: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged.`;
      load();
    } catch (error) {
      note.textContent = `Import failed: ${error.message}`;
    }
  });
  const exportOpml = async () => download("clarion-sources.opml", await api("/v1/sources/opml", { as: "blob" }));
  const list = h("div");
  // The sources and their health in parallel; a health failure leaves the sources shown.
  const load = () =>
    fill(list, Promise.all([api("/v1/sources"), allHealth().catch((error) => error)]), ([{ items }, health]) => {
      const failed = health instanceof Error;
      if (failed) note.textContent = `Health not available: ${health.message}`;
      const of = (s) => (failed ? null : health.get(s.id) || null);
      const shown = (show) => (s) => (of(s) ? show(of(s)) : failed ? "?" : "–");
      return table(null, [
        ["Source", (s) => h("span", {}, s.outlet || s.id, h("br"), h("small", {}, s.url || s.target))],
        ["Tier", (s) => s.tier ?? "–", { numeric: true }],
        ["Last success", shown((x) => fmt.time(x.last_success_at))],
        ["Failures", shown((x) => fmt.int(x.consecutive_failures)), { numeric: true }],
        ["Last error", shown(lastError)],
        ["Enabled", (s) => toggle(s, of(s))],
      ], items, { empty: "No sources." });
    });
  const toggle = (source, health) => {
    const on = source.enabled && health?.enabled !== false;
    return h("button", { type: "button", "aria-pressed": String(on), "aria-label": `${on ? "Disable" : "Enable"} ${source.outlet || source.id}`,
      onclick: async (e) => {
        e.target.disabled = true;
        const path = `/v1/sources/${encodeURIComponent(source.id)}`;
        try {
          if (on) await api(path, { method: "PUT", json: { ...source, enabled: false } });
          else if (!source.enabled) await api(path, { method: "PUT", json: { ...source, enabled: true } });
          else await api(`${path}/enable`, { method: "POST" });
          load();
        } catch (error) {
          note.textContent = `Not changed: ${error.message}`;
          e.target.disabled = false;
        }
      } }, on ? "On" : "Off");
  };
  box.append(tools, list);
  load();
  return box;
}

function lastError(health) {
  if (health.last_error) return `${health.last_error_class || ""} ${health.last_error}`.trim();
  return health.disabled_reason || "–";
}

export function keysPanel(ctx) {
  const box = h("div", { id: "keys" });
  const made = h("div", { "aria-live": "polite" });
  const list = h("div");
  const name = h("input", { id: "key-name", required: true, placeholder: "e.g. marketing dashboard" });
  const scopes = ["read", "write", "admin"].map((s) => h("label", { class: "inline" }, h("input", { type: "checkbox", name: "scope", value: s, checked: s === "read" }), s));
  const brands = h("select", { id: "key-brands", multiple: true, size: Math.min(5, ctx.brands.length) }, ctx.brands.map((b) => h("option", { value: b.id }, b.name)));
  const form = h("form", { class: "grid-form", onsubmit: async (e) => {
    e.preventDefault();
    const chosen = [...brands.selectedOptions].map((o) => o.value);
    const body = { name: name.value.trim(), scopes: scopes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value), brands: chosen.length ? chosen : null };
    try {
      const key = await api("/v1/keys", { method: "POST", json: body });
      made.replaceChildren(h("p", { class: "ok" }, "Copy this key now; it is not shown again: "), h("code", { class: "secret" }, key.key));
      load();
    } catch (error) {
      made.replaceChildren(h("p", { class: "error" }, `Not made: ${error.message}`));
    }
  } },
  h("label", { for: "key-name" }, "Name"), name,
  h("span", {}, "Scopes"), h("div", {}, scopes),
  h("label", { for: "key-brands" }, "Brands (none: every brand)"), brands,
  h("span"), h("button", { type: "submit", class: "primary" }, "Make key"));
  const load = () => fill(list, optional("/v1/keys"), (data) => data ? table(null, [
    ["Name", (k) => k.name], ["Id", (k) => h("code", {}, k.id)], ["Scopes", (k) => k.scopes.join(", ")],
    ["Brands", (k) => (k.brands ? k.brands.join(", ") : "all")], ["Created", (k) => fmt.time(k.created_at)],
    ["", (k) => k.revoked_at ? `revoked ${fmt.date(k.revoked_at)}` : h("button", { type: "button", onclick: guarded(async () => {
      if (!window.confirm(`Revoke the key “${k.name}”? Anything using it stops working.`)) return;
      await api(`/v1/keys/${encodeURIComponent(k.id)}`, { method: "DELETE", as: "none" });
      load();
    }, made) }, "Revoke")],
  ], data.items, { empty: "No keys yet." }) : h("p", { class: "unavailable" }, "Not available: this Clarion has no API keys endpoint."));
  box.append(list, h("h3", {}, "New key"), form, made);
  load();
  return box;
}

export function webhooksPanel(ctx) {
  const box = h("div", { id: "webhooks" });
  const list = h("div");
  const note = h("div", { "aria-live": "polite" });
  const url = h("input", { id: "hook-url", type: "url", required: true, placeholder: "https://hooks.example.com/clarion" });
  const format = h("select", { id: "hook-format" }, h("option", { value: "json" }, "JSON"), h("option", { value: "slack" }, "Slack"));
  const form = h("form", { class: "grid-form", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const hook = await api("/v1/webhooks", { method: "POST", json: { url: url.value.trim(), format: format.value } });
      note.replaceChildren(h("p", { class: "ok" }, "Signing secret (shown once): "), h("code", { class: "secret" }, hook.secret || "(as given)"));
      load();
    } catch (error) {
      note.replaceChildren(h("p", { class: "error" }, `Not added: ${error.message}`));
    }
  } }, h("label", { for: "hook-url" }, "URL"), url, h("label", { for: "hook-format" }, "Format"), format,
  h("span"), h("button", { type: "submit", class: "primary" }, "Add webhook"));
  const load = () => fill(list, api("/v1/webhooks"), (data) => table(null, [
    ["URL", (w) => w.url], ["Format", (w) => w.format], ["Events", (w) => w.event_types.join(", ") || "all"],
    ["Brands", (w) => w.brand_ids.map(ctx.brandName).join(", ") || "all"], ["Enabled", (w) => (w.enabled ? "yes" : "no")],
    ["", (w) => h("button", { type: "button", onclick: guarded(async () => {
      if (!window.confirm(`Remove the webhook to ${w.url}?`)) return;
      await api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: "DELETE", as: "none" });
      load();
    }, note) }, "Remove")],
  ], data.items, { empty: "No webhooks." }));
  box.append(list, h("h3", {}, "New webhook"), form, note);
  load();
  return box;
}

const AUDIT_SHOWN = 20; // the latest changes; the API pages on (and exports CSV) for more

export function auditPanel() {
  const box = h("div", { id: "audit" });
  fill(box, optional("/v1/audit", { query: { limit: AUDIT_SHOWN } }), (data) => data ? table(null, [
    ["When", (e) => fmt.time(e.at)], ["Who", (e) => e.actor], ["What", (e) => e.action],
    ["Target", (e) => `${e.target_type} ${e.target_id}`],
  ], data.items, { empty: "No changes recorded yet." }) : h("p", { class: "unavailable" }, "Not available: this Clarion has no audit log endpoint."));
  return box;
}
