// Earned traffic: sessions and conversions that coverage sent to the brand's own
// sites, over time, and the stories, outlets and campaigns that sent them.

import { api } from "./api.js";
import { fill, fmt, h, lineChart, section, seconds, table } from "./ui.js";

export function render(view, ctx) {
  const window_ = { brand: ctx.brand.id, from: ctx.from, to: ctx.to };
  const series = api("/v1/traffic/earned", { query: { ...window_, interval: ctx.interval } });
  const by = (key) => api("/v1/traffic/earned/breakdown", { query: { ...window_, by: key, limit: 10 } });
  const documents = by("document");
  const outlets = by("outlet");
  const campaigns = by("campaign");

  const tiles = h("div", { class: "tiles", id: "traffic-tiles" });
  const chart = h("div", { id: "traffic-chart" });
  const stories = h("div", { id: "top-stories" });
  const outletsBox = h("div", { id: "top-outlets" });
  const campaignsBox = h("div", { id: "top-campaigns" });
  view.append(
    section("Totals", tiles),
    section("Sessions over time", chart),
    section("Top referring stories", stories),
    h("div", { class: "columns" }, section("Top referring outlets", outletsBox), section("Campaigns", campaignsBox)),
  );

  fill(tiles, documents, ({ totals }) => [
    tile("Earned sessions", fmt.int(totals.earned_sessions)),
    tile("Earned conversions", fmt.int(totals.earned_conversions)),
    tile("All sessions", fmt.int(totals.sessions)),
    tile("Earned share", fmt.pct(totals.earned_share)),
  ]);
  fill(chart, series, (data) =>
    lineChart({
      label: `Sessions per ${data.interval}: earned, earned conversions and all sessions on owned sites`,
      x: data.buckets.map((b) => seconds(b.start)),
      series: [
        { label: "Earned sessions", values: data.buckets.map((b) => b.sessions) },
        { label: "Earned conversions", values: data.buckets.map((b) => b.conversions) },
        { label: "All sessions", values: data.buckets.map((b) => b.total_sessions) },
      ],
      yFormat: (v) => fmt.compact(v),
    }),
  );
  const rows = (name, label) => [
    [name, label],
    ["Sessions", (r) => fmt.int(r.sessions), { numeric: true }],
    ["Conversions", (r) => fmt.int(r.conversions), { numeric: true }],
    ["Share of earned", (r) => fmt.pct(r.share), { numeric: true }],
  ];
  const none = { empty: "No earned visits in this period." };
  fill(stories, documents, (d) =>
    table(null, rows("Story", (r) => (r.url ? h("a", { href: r.url, target: "_blank", rel: "noopener noreferrer" }, r.title || r.url) : r.key)), d.rows, none),
  );
  fill(outletsBox, outlets, (d) => table(null, rows("Outlet", (r) => r.key), d.rows, none));
  fill(campaignsBox, campaigns, (d) => table(null, rows("Campaign", (r) => r.key || "(none)"), d.rows, none));
}

function tile(label, value) {
  return h("div", { class: "tile" }, h("div", { class: "tile-label" }, label), h("div", { class: "tile-value" }, value));
}
