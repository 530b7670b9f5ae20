// Amplify: the brand's recent earned coverage ranked for paid amplification, with the
// reasons for each rank, and the feed (RSS / Atom / CSV) marketing can subscribe to.

import { apiUrl, optional } from "./api.js";
import { fill, fmt, h, section, sentimentBadge } from "./ui.js";

const MAX_DAYS = 31; // the API's own limit: amplification is about fresh stories
const SHOWN = 25;

export function render(view, ctx) {
  const days = Math.min(ctx.days, MAX_DAYS);
  const query = { brand: ctx.brand.id, days, limit: SHOWN };
  const list = h("div", { id: "amplify" });
  const feeds = h("div", { class: "feeds" },
    ["rss", "atom", "csv"].map((format) => feedField(format, apiUrl("/v1/amplify", { brand: ctx.brand.id, days, format }).href)));
  view.append(
    section("Feed for marketing", h("p", { class: "hint" }, "Subscribe a feed reader or an ads tool to the ranked list."), feeds),
    section(`Candidates from the last ${days} days`, list),
  );
  fill(list, optional("/v1/amplify", { query }), (data) => {
    if (!data) return h("p", { class: "unavailable" }, "Not available: this Clarion has no amplify endpoint.");
    if (!data.items.length) return h("p", { class: "empty" }, "No positive coverage to amplify in this period.");
    return h("ol", { class: "candidates" }, data.items.map(candidate));
  });
}

function feedField(format, url) {
  const id = `feed-${format}`;
  const input = h("input", { id, type: "text", readonly: true, value: url, onfocus: (e) => e.target.select() });
  const note = h("span", { class: "copied", "aria-live": "polite" });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      note.textContent = "Copied";
    } catch {
      input.select();
      note.textContent = "Press Ctrl+C to copy";
    }
  };
  return h("div", { class: "feed" }, h("label", { for: id }, format.toUpperCase()), input,
    h("button", { type: "button", onclick: copy, "aria-label": `Copy the ${format.toUpperCase()} feed URL` }, "Copy"), note);
}

function candidate(item) {
  return h(
    "li",
    { class: "candidate", dataset: { document: item.document_id } },
    h("div", { class: "rank", "aria-label": `rank ${item.rank}` }, `#${item.rank}`),
    h("div", {},
      h("h3", {}, h("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.title || item.url)),
      h("p", { class: "meta" }, sentimentBadge(item.sentiment), ` ${item.outlet || item.domain} · ${fmt.time(item.published_at)} · score ${item.score.toFixed(3)}`),
      h("ul", { class: "reasons", "aria-label": "Why" }, item.reasons.map((r) => h("li", {}, r))),
    ),
  );
}
