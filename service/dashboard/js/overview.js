// Overview: share of voice against the competitive set (volume, reach or sentiment),
// net sentiment over time, scorecard tiles against the previous period, pull-through
// per key message and executive visibility. Every request starts at once.

import { api, optional } from "./api.js";
import { fill, fmt, h, lineChart, section, seconds, table } from "./ui.js";

const VARIANTS = [
  ["share", "Volume"],
  ["reach_share", "Reach"],
  ["positive_share", "Positive sentiment"],
];

const TILES = [
  ["coverage_volume", "Mentions", fmt.int],
  ["share_of_voice", "Share of voice", fmt.pct],
  ["reach", "Reach", fmt.compact],
  ["net_sentiment", "Net sentiment", (v) => fmt.signed(v)],
  ["tier1_placements", "Tier-1 placements", fmt.int],
  ["pull_through", "Message pull-through", fmt.pct],
  ["executive_mentions", "Executive mentions", fmt.int],
  ["earned_sessions", "Earned sessions", fmt.int],
];

export function render(view, ctx) {
  const window_ = { brand: ctx.brand.id, from: ctx.from, to: ctx.to };
  const sov = api("/v1/share-of-voice", { query: { ...window_, interval: ctx.interval } });
  const scorecard = optional("/v1/scorecard", { query: window_ });
  const executives = optional("/v1/executive-visibility", { query: window_ });
  const pullThrough = scorecard.then((s) =>
    s && s.key_messages ? null : api("/v1/pull-through", { query: window_ }),
  );

  const tiles = h("div", { class: "tiles", id: "tiles" });
  const sovBox = h("div", { id: "sov" });
  const sentimentBox = h("div", { id: "net-sentiment" });
  const messagesBox = h("div", { id: "pull-through" });
  const execBox = h("div", { id: "executives" });
  const campaignsBox = h("div", { id: "campaigns" });
  const campaigns = optional("/v1/campaigns", { query: { brand: ctx.brand.id } });
  view.append(
    section("Scorecard", h("p", { class: "hint" }, "Against the previous period of the same length."), tiles),
    section("Share of voice", sovBox),
    section("Net sentiment", sentimentBox),
    section("Key message pull-through", messagesBox),
    section("Executive visibility", execBox),
    section("Campaigns", campaignsBox),
  );

  fill(tiles, scorecard, (s) => (s ? TILES.map(([key, label, format]) => tile(label, s.kpis[key], format)) : unavailable("scorecard")));
  fill(sovBox, sov, (data) => sovPanel(data, ctx));
  fill(sentimentBox, sov, (data) => sentimentChart(data, ctx));
  fill(messagesBox, Promise.all([scorecard, pullThrough]), ([s, p]) => messages(s, p));
  fill(execBox, Promise.all([executives, scorecard]), ([e, s]) => executivesTable(e, s, ctx));
  fill(campaignsBox, campaigns, (data) => campaignList(data));
}

function campaignList(data) {
  if (!data) return unavailable("campaigns");
  if (!data.items.length) return h("p", { class: "empty" }, "No campaigns for this brand.");
  return h("ul", { class: "campaigns" }, data.items.map((campaign) => {
    const report = h("div", { class: "tiles" });
    let loaded = false;
    const details = h("details", {
      ontoggle: () => {
        if (loaded || !details.open) return;
        loaded = true; // one report request, when first opened
        fill(report, api(`/v1/campaigns/${encodeURIComponent(campaign.id)}/report`), (r) => [
          ...TILES.slice(0, 4).map(([key, label, format]) => tile(label, r.kpis[key], format)),
          tile("Tagged earned sessions", r.tagged_traffic.earned_sessions, fmt.int),
        ]);
      },
    }, h("summary", {}, `${campaign.name} · ${fmt.date(campaign.start)} – ${fmt.date(campaign.end)}`),
    h("p", { class: "hint" }, "During the campaign, against the same length of time before it."), report);
    return h("li", { dataset: { campaign: campaign.id } }, details);
  }));
}

function unavailable(what) {
  return h("p", { class: "unavailable" }, `Not available: this Clarion has no ${what} endpoint.`);
}

function tile(label, figure, format) {
  if (!figure) return null;
  const change = figure.change;
  const direction = change === null || change === undefined || change === 0 ? "flat" : change > 0 ? "up" : "down";
  const arrow = { up: "▲", down: "▼", flat: "■" }[direction];
  const previous = figure.baseline === null || figure.baseline === undefined ? "–" : format(figure.baseline);
  return h(
    "div",
    { class: "tile", dataset: { kpi: label } },
    h("div", { class: "tile-label" }, label),
    h("div", { class: "tile-value" }, format(figure.current)),
    h("div", { class: `tile-change ${direction}` }, h("span", { "aria-hidden": "true" }, arrow, " "), `previous ${previous}`),
  );
}

const STYLES = [
  ["lines", "Lines"],
  ["stacked", "Stacked area"],
];

function sovPanel(data, ctx) {
  const x = data.series.map((bucket) => seconds(bucket.start));
  const chartBox = h("div");
  const shown = { variant: "share", style: "lines" };
  const draw = () => {
    const { variant, style } = shown;
    const label = VARIANTS.find(([v]) => v === variant)[1];
    const stacked = style === "stacked";
    chartBox.replaceChildren(
      lineChart({
        label: `${label} share of voice per ${data.interval}${stacked ? ", stacked" : ""}, ${data.brands.map(ctx.brandName).join(", ")}`,
        x,
        series: data.brands.map((id) => ({
          label: ctx.brandName(id),
          width: id === ctx.brand.id ? 3.5 : 1.5,
          values: data.series.map((bucket) => {
            const cell = bucket.brands.find((b) => b.brand === id);
            return bucket.total ? cell?.[variant] ?? 0 : null;
          }),
        })),
        yFormat: (v) => fmt.pct(v, 0),
        yRange: [0, 1],
        stacked,
      }),
    );
  };
  const choice = (legend, name, options) =>
    h(
      "fieldset",
      { class: "switch" },
      h("legend", {}, legend),
      options.map(([value, text]) =>
        h("label", {}, h("input", { type: "radio", name, value, checked: shown[name] === value, onchange: () => { shown[name] = value; draw(); } }), text),
      ),
    );
  const switches = h("div", { class: "switches" }, choice("Measure", "variant", VARIANTS), choice("Chart", "style", STYLES));
  draw();
  const totals = table(
    "Totals for the period",
    [
      ["Brand", (t) => ctx.brandName(t.brand)],
      ["Mentions", (t) => fmt.int(t.mentions), { numeric: true }],
      ["Share", (t) => fmt.pct(t.share), { numeric: true }],
      ["Reach share", (t) => fmt.pct(t.reach_share), { numeric: true }],
      ["Positive share", (t) => fmt.pct(t.positive_share), { numeric: true }],
      ["Net sentiment", (t) => fmt.signed(t.net_sentiment), { numeric: true }],
    ],
    data.totals,
  );
  totals.id = "sov-totals";
  return [switches, chartBox, totals];
}

function sentimentChart(data, ctx) {
  return lineChart({
    label: `Net sentiment per ${data.interval} (from −1 to +1)`,
    x: data.series.map((bucket) => seconds(bucket.start)),
    series: data.brands.map((id) => ({
      label: ctx.brandName(id),
      width: id === ctx.brand.id ? 3.5 : 1.5,
      values: data.series.map((bucket) => {
        const cell = bucket.brands.find((b) => b.brand === id);
        return cell && cell.mentions ? cell.net_sentiment : null;
      }),
    })),
    yFormat: (v) => fmt.signed(v, 1),
    yRange: [-1, 1],
    height: 220,
  });
}

function messages(scorecard, pullThrough) {
  const rows = scorecard?.key_messages
    ? scorecard.key_messages.map((m) => ({
        message: m.message,
        share: m.carried_share.current,
        previous: m.carried_share.baseline,
        carried: m.carried.current,
        contradicted: m.contradicted.current,
      }))
    : (pullThrough?.messages || []).map((m) => ({
        message: m.message, share: m.carried_share, previous: null, carried: m.carried, contradicted: m.contradicted,
      }));
  return table(
    null,
    [
      ["Key message", (m) => m.message],
      ["Carried by", (m) => h("span", { class: "bar-cell" }, h("span", { class: "bar", style: `width:${Math.round(m.share * 100)}%` }), fmt.pct(m.share)), { numeric: true }],
      ["Mentions", (m) => fmt.int(m.carried), { numeric: true }],
      ["Contradicted", (m) => fmt.int(m.contradicted), { numeric: true }],
      ["Previous", (m) => fmt.pct(m.previous), { numeric: true }],
    ],
    rows,
    { empty: "This brand has no key messages (add them in Setup)." },
  );
}

function executivesTable(executives, scorecard, ctx) {
  const rows = executives?.items || scorecard?.spokespeople;
  if (!rows) return unavailable("executive visibility");
  const value = (v) => (v && typeof v === "object" && "current" in v ? v.current : v);
  return table(
    null,
    [
      ["Spokesperson", (r) => r.spokesperson || r.name],
      ["Brand", (r) => ctx.brandName(r.brand)],
      ["Mentions", (r) => fmt.int(value(r.mentions)), { numeric: true }],
      ["SoV", (r) => fmt.pct(value(r.share ?? r.share_of_voice)), { numeric: true }],
      ["Of its brand", (r) => fmt.pct(r.brand_share), { numeric: true }],
      ["Net sentiment", (r) => fmt.signed(value(r.net_sentiment)), { numeric: true }],
    ],
    rows,
    { empty: "No spokespeople configured." },
  );
}
