// Small DOM helpers shared by the views.

// el("div.card#x", {onclick, dataset...}, child, "text", [children]) -> HTMLElement
export function el(spec, attrs, ...children) {
  const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/i) || [null, "div", spec];
  const node = document.createElement(tag);
  for (const m of rest.matchAll(/([.#])([\w-]+)/g)) {
    if (m[1] === ".") node.classList.add(m[2]); else node.id = m[2];
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "value") node.value = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function toast(text, kind = "info") {
  const t = el(`div.toast.${kind}`, text);
  document.getElementById("toasts").append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 3500);
}

export function field(label, input, hint) {
  return el("label.field", el("span", label), input, hint ? el("small.muted", hint) : null);
}

export function stateBadge(state) {
  return el(`span.badge.s-${(state || "none").toLowerCase()}`, state || "—");
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

export function fmtDuration(s) {
  if (s === undefined || s === null) return "—";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(sec).padStart(2, "0")}`;
}

// The [start, end) of the value at a JSON path ("a.b[2].c") in JSON text, or null.
export function locate(text, path) {
  const want = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) want.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const str = () => { const s = i; i++; while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1; i++; return JSON.parse(text.slice(s, i)); };
  function skip() {
    ws();
    const c = text[i];
    if (c === '"') { str(); return; }
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++; ws();
      while (i < text.length && text[i] !== close) {
        if (c === "{") { str(); ws(); i++; }
        skip(); ws();
        if (text[i] === ",") { i++; ws(); }
      }
      i++; return;
    }
    while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
  }
  try {
    let best = null;
    ws();
    for (const key of want) {
      const c = text[i];
      let found = false;
      if (c === "{" && typeof key === "string") {
        i++; ws();
        while (text[i] !== "}") {
          const kStart = i;
          const k = str(); ws(); i++; ws();
          if (k === key) { best = [kStart, i]; found = true; break; }
          skip(); ws();
          if (text[i] === ",") { i++; ws(); }
        }
      } else if (c === "[" && typeof key === "number") {
        i++; ws();
        for (let n = 0; text[i] !== "]"; n++) {
          if (n === key) { best = [i, i + 1]; found = true; break; }
          skip(); ws();
          if (text[i] === ",") { i++; ws(); }
        }
      }
      if (!found) break;
    }
    if (!best) return null;
    const start = best[0];
    skip();
    return [start, Math.max(i, best[1])];
  } catch {
    return null;
  }
}
