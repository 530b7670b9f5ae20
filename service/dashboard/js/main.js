// The dashboard's shell: hash routes (#/overview?brand=apple&days=30), the brand and
// period picker, and which page renders into <main>.

import { api } from "./api.js";
import { failure, h, period, status } from "./ui.js";
import * as overview from "./overview.js";
import * as coverage from "./coverage.js";
import * as traffic from "./traffic.js";
import * as alerts from "./alerts.js";
import * as amplify from "./amplify.js";
import * as setup from "./setup.js";

const PAGES = { overview, coverage, traffic, alerts, amplify, setup };
const TITLES = {
  overview: "Overview", coverage: "Coverage", traffic: "Earned traffic",
  alerts: "Alerts", amplify: "Amplify", setup: "Setup",
};

const main = document.getElementById("main");
const brandSelect = document.getElementById("brand");
const daysSelect = document.getElementById("days");
let brands = [];
let rendered = "";

function parseHash() {
  const [path, query = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  const params = new URLSearchParams(query);
  return { page: PAGES[path] ? path : "overview", params };
}

function go(page, changes = {}) {
  const { params } = parseHash();
  for (const [name, value] of Object.entries(changes)) params.set(name, value);
  window.location.hash = `#/${page}?${params}`;
}

async function loadBrands() {
  brands = (await api("/v1/brands")).items;
  brandSelect.replaceChildren(...brands.map((b) => h("option", { value: b.id }, b.name)));
}

function route() {
  const { page, params } = parseHash();
  const brandId = brands.some((b) => b.id === params.get("brand")) ? params.get("brand") : brands[0]?.id;
  const days = ["7", "30", "90"].includes(params.get("days")) ? Number(params.get("days")) : 30;
  const key = `${page}|${brandId}|${days}`;
  if (key === rendered) return;
  rendered = key;
  brandSelect.value = brandId || "";
  daysSelect.value = String(days);
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    link.href = `#/${link.dataset.page}?brand=${encodeURIComponent(brandId || "")}&days=${days}`;
  }
  document.title = `${TITLES[page]} · Clarion`;
  const brand = brands.find((b) => b.id === brandId) || null;
  const context = {
    brand, brands, days, params, ...period(days),
    brandName: (id) => brands.find((b) => b.id === id)?.name || id,
    refresh: async () => { await loadBrands(); rendered = ""; route(); },
  };
  const view = h("div", { class: "page", dataset: { page } }, h("h1", {}, TITLES[page], brand && page !== "setup" ? ` · ${brand.name}` : ""));
  main.replaceChildren(view);
  if (!brand && page !== "setup") {
    view.append(status("No brands yet: add one in Setup."));
    return;
  }
  try {
    PAGES[page].render(view, context);
  } catch (error) {
    view.append(failure(error));
  }
}

brandSelect.addEventListener("change", () => go(parseHash().page, { brand: brandSelect.value }));
daysSelect.addEventListener("change", () => go(parseHash().page, { days: daysSelect.value }));
window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
});

async function start() {
  try {
    await loadBrands();
  } catch (error) {
    main.replaceChildren(failure(error));
    return;
  }
  route();
}

start();
