// Coverage: the brand's mentions, filtered on the server (search, sentiment, tier,
// channel, market, outlet, key message, sort), paged with the API's cursors. The
// server folds copies of one syndicated story (collapse=cluster): each item is the
// story's first copy in the sort's order, with how many copies it has; the other
// copies are asked for by cluster, once per story shown. "Export CSV" saves what is shown.

import { api, optional } from "./api.js";
import { brandTerms, csv, download, fill, fmt, h, highlight, section, sentimentBadge, status } from "./ui.js";

const PAGE_SIZE = 50; // a screenful or two; more with "Load more" (the API allows up to 1000)
const MAX_PAGE_SIZE = 1000;
const TYPING_PAUSE_MS = 350; // search as you type, once the typing pauses
const MAX_COPIES_LISTED = 200; // the API's largest page: a story's other copies, listed under it

export function render(view, ctx) {
  const state = { items: [], cursor: null, generation: 0 };
  const asked = Number.parseInt(ctx.params.get("limit") || "", 10); // #/coverage?limit=N
  const pageSize = asked > 0 ? Math.min(asked, MAX_PAGE_SIZE) : PAGE_SIZE;
  const sources = optional("/v1/sources").catch(() => null);
  const messages = ctx.brand.key_messages || [];

  const field = (label, control) => h("label", {}, label, control);
  const q = h("input", { type: "search", name: "q", placeholder: "e.g. recall OR lawsuit" });
  const sentiment = h("select", { name: "sentiment" }, option("", "Any"), ["positive", "neutral", "negative"].map((s) => option(s, s)));
  const tier = h("select", { name: "tier" }, option("", "Any"), [1, 2, 3].map((t) => option(t, `Tier ${t}`)));
  const channel = h("input", { name: "channel", list: "channels", placeholder: "news, blog, social…" });
  const market = h("input", { name: "market", list: "markets", placeholder: "US, GB…", size: 6 });
  const outlet = h("input", { name: "outlet", list: "outlets", placeholder: "Outlet name" });
  const message = h("select", { name: "key_message" }, option("", "Any"), messages.map((m) => option(m, m)));
  const sort = h("select", { name: "sort" }, option("time", "Newest"), option("reach", "Largest reach"), option("prominence", "Most prominent"));
  const lists = h("div", { hidden: true });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter mentions", onsubmit: (e) => { e.preventDefault(); reload(); } },
    field("Search", q), field("Sentiment", sentiment), field("Tier", tier), field("Channel", channel),
    field("Market", market), field("Outlet", outlet), field("Key message", message), field("Sort", sort), lists,
  );
  const summary = h("p", { class: "summary", role: "status", "aria-live": "polite" });
  const list = h("ol", { class: "mentions", id: "mentions" });
  const more = h("button", { type: "button", hidden: true, onclick: () => loadPage() }, "Load more");
  const exportButton = h("button", { type: "button", onclick: () => exportShown() }, "Export CSV");
  view.append(section("Mentions", form, h("div", { class: "toolbar" }, summary, exportButton), list, more));

  let typing = null;
  for (const control of [q, channel, market, outlet]) {
    control.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(reload, TYPING_PAUSE_MS); });
  }
  for (const control of [sentiment, tier, message, sort]) control.addEventListener("change", reload);

  fill(lists, sources, (data) => {
    const items = data?.items || [];
    const distinct = (key) => [...new Set(items.map((s) => s[key]).filter(Boolean))].sort();
    return [
      h("datalist", { id: "channels" }, distinct("channel").map((v) => h("option", { value: v }))),
      h("datalist", { id: "markets" }, distinct("country").map((v) => h("option", { value: v }))),
      h("datalist", { id: "outlets" }, distinct("outlet").map((v) => h("option", { value: v }))),
    ];
  });

  function query() {
    return {
      brand: ctx.brand.id, from: ctx.from, to: ctx.to, limit: pageSize, sort: sort.value,
      q: q.value.trim(), sentiment: sentiment.value, tier: tier.value,
      channel: channel.value.trim(), market: market.value.trim(), outlet: outlet.value.trim(),
      message: message.value, collapse: "cluster",
    };
  }

  // The other copies of each story with more than one (same filters, one cluster).
  async function otherCopies(items) {
    const base = { ...query(), collapse: "", limit: MAX_COPIES_LISTED };
    await Promise.all(items.filter((m) => (m.copies || 1) > 1).map(async (m) => {
      const page = await api("/v1/mentions", { query: { ...base, cluster: m.cluster_id || m.document_id } });
      m.others = page.items.filter((c) => c.document_id !== m.document_id);
    }));
  }

  function reload() {
    state.items = [];
    state.cursor = null;
    state.generation += 1;
    list.replaceChildren();
    loadPage();
  }

  async function loadPage() {
    const generation = state.generation;
    more.hidden = true;
    summary.textContent = "Loading…";
    try {
      const page = await api("/v1/mentions", { query: { ...query(), cursor: state.cursor } });
      if (generation !== state.generation) return; // a newer filter took over
      await otherCopies(page.items);
      if (generation !== state.generation) return;
      state.items.push(...page.items);
      state.cursor = page.next_cursor;
      draw();
    } catch (error) {
      if (generation !== state.generation) return;
      summary.textContent = "";
      list.replaceChildren(h("li", {}, status(`Could not load mentions: ${error.message}`)));
    }
  }

  function shown() {
    return state.items.map((item) => ({ lead: item, copies: item.others || [], more: Math.max((item.copies || 1) - 1, 0) }));
  }

  function draw() {
    const groups = shown();
    const terms = brandTerms(ctx.brand);
    list.replaceChildren(...groups.map((g) => mentionItem(g, terms)));
    const copies = groups.reduce((n, g) => n + g.more, 0);
    summary.textContent = `${groups.length} stories shown` + (copies ? ` (${copies} syndicated copies folded)` : "") + (state.cursor ? ", more to load" : "");
    if (!groups.length) list.append(h("li", { class: "empty" }, "No mentions match."));
    more.hidden = !state.cursor;
  }

  function exportShown() {
    const header = ["published_at", "outlet", "domain", "tier", "channel", "language", "sentiment", "title", "url", "snippet", "key_messages", "cluster", "copies"];
    const rows = shown().map(({ lead: m, more }) => [
      m.published_at, m.outlet, m.domain, m.tier, m.channel, m.language, m.sentiment?.label, m.title, m.url,
      (m.snippets || [])[0] || "", (m.key_messages?.carried || []).map((c) => c.message).join(" | "), m.cluster_id || m.document_id, more,
    ]);
    download(`clarion-${ctx.brand.id}-mentions.csv`, csv([header, ...rows]), "text/csv");
  }

  reload();
}

function option(value, label) {
  return h("option", { value }, label);
}

function mentionItem({ lead: m, copies, more }, terms) {
  const meta = [m.outlet || m.domain, m.tier ? `tier ${m.tier}` : null, m.channel, m.language].filter(Boolean).join(" · ");
  return h(
    "li",
    { class: "mention", dataset: { document: m.document_id } },
    h("h3", {}, h("a", { href: m.url, target: "_blank", rel: "noopener noreferrer" }, highlight(m.title || m.url, terms))),
    h("p", { class: "meta" }, sentimentBadge(m.sentiment), " ", meta, " · ", h("time", { datetime: m.published_at }, fmt.time(m.published_at))),
    (m.snippets || []).slice(0, 2).map((s) => h("p", { class: "snippet" }, highlight(s, terms))),
    (m.key_messages?.carried || []).length
      ? h("p", { class: "messages" }, "Carries: ", m.key_messages.carried.map((c) => h("span", { class: "chip" }, c.message)))
      : null,
    more
      ? h(
          "details",
          { class: "copies" },
          h("summary", {}, `Also carried by ${more} more (syndicated)`),
          h("ul", {}, copies.map((c) => h("li", {}, h("a", { href: c.url, target: "_blank", rel: "noopener noreferrer" }, c.outlet || c.domain), " · ", fmt.time(c.published_at)))),
        )
      : null,
  );
}
