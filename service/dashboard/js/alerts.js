// Alerts: the brand's recent alerts with their evidence, and every webhook's
// deliveries with their state, attempts and a replay button.

import { api } from "./api.js";
import { fill, fmt, guarded, h, section, sentimentBadge, table } from "./ui.js";

const ALERTS_SHOWN = 50;
const DELIVERIES_SHOWN = 20; // per webhook: the recent ones; the API has the full log

export function render(view, ctx) {
  const alerts = api("/v1/alerts", { query: { brand: ctx.brand.id, limit: ALERTS_SHOWN } });
  const hooks = api("/v1/webhooks");
  const alertsBox = h("div", { id: "alerts" });
  const hooksBox = h("div", { id: "deliveries" });
  view.append(section("Recent alerts", alertsBox), section("Webhook deliveries", hooksBox));
  fill(alertsBox, alerts, (data) =>
    data.items.length ? h("ol", { class: "alerts" }, data.items.map(alertItem)) : h("p", { class: "empty" }, "No alerts for this brand."),
  );
  fill(hooksBox, hooks, (data) =>
    data.items.length ? data.items.map((hook) => hookPanel(hook)) : h("p", { class: "empty" }, "No webhooks: add one in Setup."),
  );
}

function alertItem(alert) {
  const evidence = alert.evidence || {};
  const mentions = evidence.mentions || [];
  return h(
    "li",
    { class: "alert-item", dataset: { alert: alert.id } },
    h("h3", {}, alert.summary || alert.type),
    h("p", { class: "meta" }, h("span", { class: "chip" }, alert.type), ` rule ${alert.rule_id} · opened ${fmt.time(alert.opened_at)} · updated ${fmt.time(alert.updated_at)} · ${alert.updates} update(s)`),
    mentions.length
      ? h("details", {}, h("summary", {}, `Evidence: ${mentions.length} mention(s)`),
          h("ul", {}, mentions.map((m) => h("li", {}, sentimentBadge(m.sentiment), " ",
            h("a", { href: m.url, target: "_blank", rel: "noopener noreferrer" }, m.title || m.url),
            ` · ${m.outlet || m.domain || ""}${m.tier ? ` (tier ${m.tier})` : ""} · ${fmt.time(m.published_at)}`))))
      : null,
  );
}

function hookPanel(hook) {
  const box = h("div", { class: "hook", dataset: { hook: hook.id } });
  const load = () =>
    fill(box.querySelector(".deliveries") || box.appendChild(h("div", { class: "deliveries" })),
      api(`/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries`, { query: { limit: DELIVERIES_SHOWN } }),
      (data) => table(null, [
        ["Event", (d) => d.event_type],
        ["State", (d) => h("span", { class: `badge d-${d.state}` }, d.state)],
        ["Attempts", (d) => fmt.int(d.attempts), { numeric: true }],
        ["Last result", (d) => lastResult(d)],
        ["Created", (d) => fmt.time(d.created_at)],
        ["", (d) => h("button", { type: "button", onclick: guarded(async () => {
          await api(`/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries/${encodeURIComponent(d.id)}/replay`, { method: "POST" });
          load();
        }, note) }, "Replay")],
      ], data.items, { empty: "No deliveries yet." }));
  const note = h("p", { "aria-live": "polite" });
  box.append(note, h("h3", {}, hook.url), h("p", { class: "meta" }, `${hook.enabled ? "enabled" : "disabled"} · ${hook.format} · ${(hook.event_types || []).join(", ") || "every event"}`));
  load();
  return box;
}

function lastResult(delivery) {
  const last = (delivery.log || [])[delivery.log.length - 1];
  const outcome = delivery.last_status ?? delivery.last_error;
  if (outcome === null || outcome === undefined) return "–";
  return last ? `${outcome} · ${Math.round(last.latency_ms)} ms` : String(outcome);
}
