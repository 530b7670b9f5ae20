// Small DOM, formatting and chart helpers shared by the pages. Text from the API is
// always inserted as text nodes (never as HTML), so nothing it holds can run.

import { ApiError } from "./api.js";

/** h("a", {href, class: "x", onclick}, "text", child, [more]) builds an element. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      node.className = value;
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

export const fmt = {
  int: (v) => (v === null || v === undefined ? "–" : integer.format(v)),
  compact: (v) => (v === null || v === undefined ? "–" : compact.format(v)),
  pct: (v, digits = 1) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(digits)}%`),
  signed: (v, digits = 2) => (v === null || v === undefined ? "–" : `${v > 0 ? "+" : ""}${v.toFixed(digits)}`),
  time: (iso) => (iso ? dateTime.format(new Date(iso)) : "–"),
  date: (iso) => (iso ? dateOnly.format(new Date(iso)) : "–"),
};

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

export function section(title, ...children) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export function status(text) {
  return h("p", { class: "status", role: "status" }, text);
}

/** The message a failed panel shows: "not available" for an endpoint this Clarion lacks. */
export function failure(error) {
  if (error instanceof ApiError && error.status === 404) {
    return h("p", { class: "unavailable" }, `Not available (${error.message}).`);
  }
  if (error instanceof ApiError && error.status === 403) {
    return h("p", { class: "error", role: "alert" }, `Not allowed with this API key: ${error.message}`);
  }
  return h("p", { class: "error", role: "alert" }, `Could not load: ${error.message}`);
}

/** Fill `container` with render(data) once `promise` settles, or with the failure. */
export async function fill(container, promise, render) {
  container.replaceChildren(status("Loading…"));
  try {
    const data = await promise;
    container.replaceChildren(...[].concat(render(data)));
  } catch (error) {
    container.replaceChildren(failure(error));
    if (!(error instanceof ApiError)) console.error(error);
  }
}

/** A table: columns are [header, row => cell, {numeric}]. */
export function table(caption, columns, rows, { empty = "Nothing in this period." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map(([name, , opts]) => h("th", { scope: "col", class: opts?.numeric ? "num" : null }, name)))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", {}, columns.map(([, cell, opts]) => h("td", { class: opts?.numeric ? "num" : null }, cell(row))))),
      ),
    ),
  );
}

export function sentimentBadge(sentiment) {
  const label = sentiment?.label || sentiment || "neutral";
  return h("span", { class: `badge s-${label}` }, label);
}

/** `text` with every occurrence of `terms` wrapped in <mark> (case-insensitive). */
export function highlight(text, terms) {
  const words = [...new Set(terms.filter((t) => t && t.length > 1))].sort((a, b) => b.length - a.length);
  if (!words.length) return [text];
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return text.split(pattern).map((part, i) => (i % 2 ? h("mark", {}, part) : part));
}

/** The words a brand is found by: its name, aliases and the plain terms of its query. */
export function brandTerms(brand) {
  if (!brand) return [];
  const fromQuery = (brand.query || "")
    .replace(/"([^"]+)"/g, " $1 ")
    .split(/[\s(){}]+/)
    .map((w) => w.replace(/[*~^:]+$/, "").replace(/^[a-z_]+:/, ""))
    .filter((w) => w && !["AND", "OR", "NOT", "NEAR"].includes(w) && !/^[-\d]/.test(w));
  const phrases = [...(brand.query || "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  return [brand.name, ...(brand.aliases || []), ...phrases, ...fromQuery];
}

export function download(filename, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const link = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export function csv(rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

/**
 * Running totals of `values` (one array per series, bucket by bucket) for a stacked
 * chart: series k holds the sum of the shown series up to k, a null bucket stays null,
 * and a hidden series (shown[k] false) adds nothing. `bands` fill each shown series
 * down to the shown series below it (uPlot's [upper, lower] series indexes).
 */
export function stack(values, shown = values.map(() => true)) {
  const sums = (values[0] || []).map(() => 0);
  const stacked = values.map((series, k) =>
    shown[k] ? series.map((v, i) => (v === null || v === undefined ? null : (sums[i] += v))) : series,
  );
  const bands = [];
  let below = null;
  values.forEach((_, k) => {
    if (!shown[k]) return;
    if (below !== null) bands.push({ series: [k + 1, below + 1] });
    below = k;
  });
  return { stacked, bands };
}

/**
 * A line chart (uPlot) that fills its container's width and follows resizes.
 * series: [{label, values, color?}] over x (unix seconds). With `stacked`, an area
 * chart of the series' running totals (see `stack`) whose legend shows each series'
 * own value. The uPlot instance is on the plot element as `.uplot` (what is plotted,
 * for tests and the browser console).
 */
export function lineChart({ label, x, series, yFormat = (v) => v, height = 260, yRange, stacked = false }) {
  const box = h("figure", { class: "chart" });
  const plotBox = h("div", { class: "plot", role: "img", "aria-label": label });
  box.append(plotBox, h("figcaption", { class: "sr-only" }, label));
  if (!window.uPlot) {
    plotBox.append(h("p", { class: "error" }, "The chart library did not load."));
    return box;
  }
  const raw = series.map((s) => s.values);
  const shownValue = (v) => (v === null || v === undefined ? "–" : yFormat(v));
  const opts = {
    width: 600,
    height,
    legend: { live: true },
    cursor: { focus: { prox: 16 } },
    scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
    axes: [{}, { values: (u, ticks) => ticks.map(yFormat), size: 60 }],
    series: [
      { label: "Date", value: (u, v) => (v === null ? "–" : fmt.date(new Date(v * 1000).toISOString())) },
      ...series.map((s, i) => {
        const color = s.color || PALETTE[i % PALETTE.length];
        return {
          label: s.label,
          stroke: color,
          width: s.width || 2,
          fill: stacked ? `${color}${AREA_ALPHA}` : undefined,
          points: { show: x.length < 45 },
          spanGaps: false,
          value: stacked ? (u, v, si, at) => shownValue(raw[si - 1][at]) : (u, v) => shownValue(v),
        };
      }),
    ],
  };
  let data = raw;
  if (stacked) {
    const { stacked: totals, bands } = stack(raw);
    data = totals;
    opts.bands = bands;
    let showing = raw.map(() => true).join();
    opts.hooks = { setSeries: [(u) => { // also called on hover focus: restack on a show / hide only
      const now = raw.map((_, k) => u.series[k + 1].show);
      if (now.join() !== showing) restack(u, raw, now);
      showing = now.join();
    }] };
  }
  const plot = new window.uPlot(opts, [x, ...data], plotBox);
  plotBox.uplot = plot;
  const resize = () => plot.setSize({ width: Math.max(240, plotBox.clientWidth), height });
  new ResizeObserver(resize).observe(plotBox);
  requestAnimationFrame(resize);
  return box;
}

const AREA_ALPHA = "B3"; // 70% opaque: the grid shows through, each colour stays itself

function restack(plot, raw, shown) {
  const { stacked, bands } = stack(raw, shown);
  plot.delBand(null);
  for (const band of bands) plot.addBand(band);
  plot.setData([plot.data[0], ...stacked]);
}

/** Periods as the API takes them: the last `days` days, and an interval that fits. */
export function period(days) {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString(), interval: days > 45 ? "week" : "day" };
}

export const seconds = (iso) => Math.floor(new Date(iso).getTime() / 1000);

/** A click handler running `action`; a failure shows in `where` instead of being lost. */
export function guarded(action, where) {
  return async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await action(event);
    } catch (error) {
      where.replaceChildren(h("span", { class: "error", role: "alert" }, `Failed: ${error.message}`));
    } finally {
      button.disabled = false;
    }
  };
}
