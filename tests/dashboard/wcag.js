// WCAG 2.1 contrast (success criteria 1.4.3 and 1.4.11) of what the browser shows,
// from computed styles: page.evaluate(source)(options) answers
// {checked, failures, unknown}.
//
// Text: every visible element with text of its own (a non-blank text node child), and
// every enabled form control's value and placeholder. Its colour is composited over
// its effective background: the background colours of the element and of each
// ancestor, from the canvas (white) down, each ancestor's opacity applied to what it
// paints over its backdrop. An ancestor with a background image (which this cannot
// resolve) makes the element "unknown" instead. Large text (24px, or 18.66px bold)
// needs 3:1, other text 4.5:1. Disabled controls are exempt, as WCAG exempts
// inactive components. Ancestors stand for what is behind an element: true for the
// dashboard's flow layout; an element positioned over another (not an ancestor)
// would be measured against its ancestors only.
//
// contrast.focus(element): the contrast of the element's focus outline against the
// background around it (its parent's), which 1.4.11 wants at 3:1 or more.
(() => {
  const WHITE = { r: 255, g: 255, b: 255, a: 1 };

  function parse(text) {
    const match = /^rgba?\(([^)]+)\)$/.exec(text.trim());
    if (!match) throw new Error(`a colour this check cannot read: ${text}`);
    const [r, g, b, a = 1] = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  }

  const over = (top, bottom) => mix(top, bottom, top.a);
  function mix(top, bottom, amount) {
    const channel = (name) => top[name] * amount + bottom[name] * (1 - amount);
    return { r: channel("r"), g: channel("g"), b: channel("b"), a: 1 };
  }

  function luminance({ r, g, b }) {
    const linear = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  }

  function ratio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  /** What `colour` drawn in `element` looks like, and the background it is drawn on. */
  function rendered(element, colour) {
    const chain = [];
    for (let node = element; node; node = node.parentElement) chain.unshift(node);
    let behind = WHITE;
    const groups = []; // [opacity, backdrop] of each translucent ancestor, outermost first
    for (const node of chain) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") return null;
      const opacity = Number(style.opacity);
      if (opacity < 1) groups.push([opacity, behind]);
      behind = over(parse(style.backgroundColor), behind);
    }
    let fg = over(colour, behind);
    let bg = behind;
    for (const [opacity, backdrop] of groups.reverse()) {
      fg = mix(fg, backdrop, opacity);
      bg = mix(bg, backdrop, opacity);
    }
    return { fg, bg };
  }

  const hex = (c) => `#${[c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;

  function describe(element) {
    const id = element.id ? `#${element.id}` : "";
    const classes = element.classList.length ? `.${[...element.classList].join(".")}` : "";
    return `${element.tagName.toLowerCase()}${id}${classes}`;
  }

  const shown = (element) =>
    element.getClientRects().length > 0 && getComputedStyle(element).visibility === "visible";
  const ownText = (element) =>
    [...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  const CONTROLS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button";

  function contrast({ root = document.body } = {}) {
    const failures = [];
    const unknown = [];
    let checked = 0;
    const measure = (element, colour, what, text) => {
      const seen = rendered(element, colour);
      if (seen === null) {
        unknown.push(`${describe(element)}: ${what} over a background image`);
        return;
      }
      checked += 1;
      const style = getComputedStyle(element);
      const size = Number.parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      const found = ratio(seen.fg, seen.bg);
      if (found < needed) {
        failures.push({
          element: describe(element), what, text: text.trim().slice(0, 60),
          ratio: Math.round(found * 100) / 100, needed, color: hex(seen.fg), background: hex(seen.bg),
        });
      }
    };
    for (const element of root.querySelectorAll("*")) {
      if (!shown(element) || element.disabled) continue;
      if (ownText(element) && !element.matches("option, select, script, style")) {
        measure(element, parse(getComputedStyle(element).color), "text", element.textContent);
      }
      if (element.matches(CONTROLS)) {
        const value = element.matches("select") ? element.selectedOptions[0]?.textContent || "" : element.value || "";
        if (value.trim() && !element.matches("button")) {
          measure(element, parse(getComputedStyle(element).color), "value", value);
        }
        if (element.placeholder && !element.value) {
          measure(element, parse(getComputedStyle(element, "::placeholder").color), "placeholder", element.placeholder);
        }
      }
    }
    return { checked, failures, unknown };
  }

  contrast.focus = (element) => {
    const style = getComputedStyle(element);
    if (style.outlineStyle === "none" || Number.parseFloat(style.outlineWidth) < 2) return 0;
    const seen = rendered(element.parentElement, parse(style.outlineColor));
    return seen === null ? 0 : ratio(seen.fg, seen.bg);
  };
  contrast.describe = describe;
  return contrast;
})()
