"use strict";
// leakguard's HTML report: draws the treemap (squarified, Bruls, Huizing and van Wijk 2000) from the
// embedded data and filters the findings table. Everything from the artifact is set as text
// (textContent, dataset), never parsed as HTML.
(() => {
  const data = JSON.parse(document.getElementById("leakguard-data").textContent);
  const ROOT = 0, FOLDER = 2, DIR = 3, FILE = 4, OTHERS = 5, SEV = ["info", "low", "medium", "high", "critical"];
  const HEAD = 17, PAD = 3, MIN = 3, MAX_RECTS = 6000;
  const n = data.nodes.length, parent = [], name = [], size = [], kind = [], worst = [], kids = [];
  data.nodes.forEach((row, i) => {
    [parent[i], name[i], size[i], kind[i], worst[i]] = row;
    kids[i] = [];
    if (row[0] >= 0) kids[row[0]].push(i);
  });
  const files = new Array(n).fill(0);  // files below each node (a map's entries, an archive's members)
  for (let i = n - 1; i > 0; i--) if (kind[i] === FILE || kind[i] === OTHERS) {
    const count = kind[i] === FILE ? 1 : parseInt(name[i].replace(/,/g, ""), 10) || 0;
    for (let q = parent[i]; q >= 0; q = parent[q]) files[q] += count;
  }
  const map = document.getElementById("map"), tip = document.getElementById("tip");
  const crumbs = document.getElementById("crumbs");
  const rows = Array.from(document.querySelectorAll("#findings-table tbody tr"));
  const direct = {}, below = {}, own = new Array(n).fill(-1);
  for (const tr of rows) {
    const node = +tr.dataset.node, sev = SEV.indexOf(tr.dataset.sev), kept = tr.dataset.status !== "suppressed";
    (direct[node] = direct[node] || []).push(tr);
    if (kept) own[node] = Math.max(own[node], sev);
    for (let q = node; q >= 0; q = parent[q]) (below[q] = below[q] || [0, 0, 0, 0, 0, 0])[kept ? sev : 5]++;
  }

  const human = (b) => b < 1e3 ? b + " B" : b < 1e6 ? (b / 1e3).toFixed(1) + " kB"
    : b < 1e9 ? (b / 1e6).toFixed(1) + " MB" : (b / 1e9).toFixed(2) + " GB";
  const holder = (i) => { let q = parent[i]; while (kind[q] === DIR) q = parent[q]; return q; };
  const sep = (p) => kind[p] === DIR || kind[p] === FOLDER ? "/" : "!/";
  function path(i) {
    if (i < 0) return path(-1 - i);
    if (kind[i] === ROOT) return "";
    if (kind[parent[i]] === ROOT) return name[i];
    const exact = data.exact[i];
    if (exact !== undefined) { const q = holder(i); return path(q) + sep(q) + exact; }
    return path(parent[i]) + sep(parent[i]) + name[i];
  }
  function change(i) {
    const c = data.changes[i];
    if (!c) return null;
    const [old, now] = c;
    if (old === null) return ["added", "NEW", "new in this release (" + human(now) + ")"];
    const pct = old ? " (" + (now >= old ? "+" : "") + Math.round((now - old) / old * 100) + "%)" : "";
    const how = now > old ? "grown" : now < old ? "shrunk" : "changed";
    return [how, now === old ? "changed" : pct.slice(2, -1), how + ": " + human(old) + " \u2192 " + human(now) + pct];
  }
  // Children with bytes, largest first, plus the node's own bytes beyond its children (a map's JSON).
  function items(i) {
    if (i < 0) return [];
    const list = kids[i].filter((c) => size[c] > 0).map((c) => [c, size[c]]);
    const sum = list.reduce((s, it) => s + it[1], 0);
    if (list.length && size[i] > sum) list.push([-1 - i, size[i] - sum]);
    return list.sort((a, b) => b[1] - a[1]);
  }
  function squarify(list, x, y, w, h) {
    const out = [], scale = w * h / list.reduce((s, it) => s + it[1], 0);
    for (let i = 0; i < list.length;) {
      const side = Math.min(w, h);
      let j = i, sum = 0, best = Infinity, lo = Infinity, hi = 0;
      for (; j < list.length; j++) {  // grow the row while its worst aspect ratio improves
        const a = list[j][1] * scale, s = sum + a, l = Math.min(lo, a), m = Math.max(hi, a);
        const ratio = Math.max(side * side * m / (s * s), s * s / (side * side * l));
        if (j > i && ratio > best) break;
        [best, sum, lo, hi] = [ratio, s, l, m];
      }
      const thick = sum / side;
      let off = 0;
      for (let k = i; k < j; k++) {
        const len = list[k][1] * scale / thick;
        out.push(w >= h ? [list[k][0], x, y + off, thick, len] : [list[k][0], x + off, y, len, thick]);
        off += len;
      }
      if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i = j;
    }
    return out;
  }

  let view = kids[ROOT].length === 1 ? kids[ROOT][0] : ROOT, drawn = 0, marked = -1;
  function box(i, x, y, w, h, container) {
    drawn++;
    const el = document.createElement("div"), c = i >= 0 ? change(i) : null;
    const bytes = i >= 0 ? size[i] : size[-1 - i] - kids[-1 - i].reduce((s, k) => s + size[k], 0);
    const sev = i >= 0 ? worst[i] : own[-1 - i];
    el.className = "r s" + sev + (i >= 0 ? " k" + kind[i] : " rest") + (container ? " c" : "") +
      (c ? " " + c[0] : "") + (i === marked ? " hl" : "");
    el.style.cssText = `left:${x.toFixed(1)}px;top:${y.toFixed(1)}px;width:${w.toFixed(1)}px;height:${h.toFixed(1)}px`;
    el.dataset.node = i;
    el.dataset.path = i >= 0 ? path(i) : path(-1 - i) + " (rest of the file)";
    el.dataset.bytes = bytes;
    if (w > 26 && h > 13) {
      const label = document.createElement("span");
      label.textContent = (c ? c[1] + " " : "") + (i >= 0 ? name[i] : "(rest of the file)") +
        (w > 110 ? " \u00b7 " + human(bytes) : "");
      el.appendChild(label);
    }
    map.appendChild(el);
  }
  function place(i, x, y, w, h, top) {
    const inner = items(i);
    if (!top) box(i, x, y, w, h, inner.length > 0);
    if (!inner.length) return;
    if (!top) { x += PAD; y += HEAD; w -= 2 * PAD; h -= HEAD + PAD; }
    if (w < 6 || h < 6) return;
    for (const [c, cx, cy, cw, ch] of squarify(inner, x, y, w, h)) {
      if (cw >= MIN && ch >= MIN && drawn < MAX_RECTS) place(c, cx, cy, cw, ch, false);
    }
  }
  function render() {
    map.textContent = "";
    drawn = 0;
    place(view, 0, 0, map.clientWidth, map.clientHeight, true);
    if (!drawn) {
      const none = document.createElement("p");
      none.className = "empty";
      none.textContent = "No member sizes to draw.";
      map.appendChild(none);
    }
    map.dataset.view = path(view);
    map.dataset.rects = drawn;
    const at = map.getBoundingClientRect();  // where the map is on the page, for tools reading the DOM
    map.dataset.box = [at.left + scrollX, at.top + scrollY, at.width, at.height].map(Math.round).join(",");
    crumbs.textContent = "";
    const chain = [];
    for (let q = view; q >= 0 && !(q === ROOT && kids[ROOT].length === 1); q = parent[q]) chain.unshift(q);
    chain.forEach((q, k) => {
      const el = document.createElement(k === chain.length - 1 ? "span" : "button");
      el.textContent = q === ROOT ? "all artifacts" : name[q];
      el.dataset.node = q;
      crumbs.appendChild(el);
    });
    const total = document.createElement("span");
    total.className = "total";
    total.textContent = human(size[view]);
    crumbs.appendChild(total);
  }
  function go(i) {
    view = i;
    render();
  }

  function line(text, cls) {
    const el = document.createElement("div");
    el.textContent = text;
    if (cls) el.className = cls;
    tip.appendChild(el);
  }
  function describe(el) {
    const i = +el.dataset.node, real = i >= 0 ? i : -1 - i, bytes = +el.dataset.bytes;
    tip.textContent = "";
    line(el.dataset.path, "path");
    line(human(bytes) + " (" + bytes.toLocaleString("en") + " bytes), " +
      (size[view] ? (bytes / size[view] * 100).toFixed(1) : "0") + "% of " + (name[view] || "the release"));
    if (i >= 0 && files[i]) line(files[i].toLocaleString("en") + " file" + (files[i] === 1 ? "" : "s") + " inside");
    const c = i >= 0 ? change(i) : null;
    if (c) line(c[2], "change");
    const counts = i >= 0 ? below[i] : null;
    if (counts) {
      const parts = SEV.map((s, k) => counts[k] ? counts[k] + " " + s : "").filter(Boolean).reverse();
      if (counts[5]) parts.push(counts[5] + " suppressed");
      line("findings: " + parts.join(", "));
    }
    for (const tr of (direct[real] || []).slice(0, 6)) {
      line(tr.dataset.sev + " " + tr.cells[3].textContent + ": " + tr.cells[5].textContent, "finding s" +
        SEV.indexOf(tr.dataset.sev));
    }
    tip.hidden = false;
  }
  map.addEventListener("mousemove", (e) => {
    const el = e.target.closest(".r");
    if (!el) { tip.hidden = true; return; }
    describe(el);
    const r = map.getBoundingClientRect();
    tip.style.left = Math.min(e.clientX - r.left + 14, map.clientWidth - tip.offsetWidth) + "px";
    tip.style.top = (e.clientY - r.top + 18) + "px";
  });
  map.addEventListener("mouseleave", () => { tip.hidden = true; });
  map.addEventListener("click", (e) => {
    const el = e.target.closest(".r");
    if (!el) return;
    const i = +el.dataset.node, target = i < 0 ? -1 - i : items(i).length ? i : parent[i];
    if (target !== view) go(target);
  });
  crumbs.addEventListener("click", (e) => {
    const el = e.target.closest("button");
    if (el) go(+el.dataset.node);
  });
  document.addEventListener("keydown", (e) => {
    const top = kids[ROOT].length === 1 ? kids[ROOT][0] : ROOT;
    if (e.key === "Escape" && view !== top) go(parent[view]);
  });
  for (const a of document.querySelectorAll("a.loc")) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      const i = +a.dataset.node;
      marked = i;
      go(i === ROOT || parent[i] === ROOT ? i : parent[i]);  // the member among its neighbours
      map.scrollIntoView({block: "center"});
    });
  }
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(render);
  });

  const form = document.getElementById("filters");
  function filter() {
    const sevs = new Set(Array.from(form.querySelectorAll("input[name=sev]:checked"), (x) => x.value));
    const cat = form.elements.cat.value, status = form.elements.status.value;
    let shown = 0;
    for (const tr of rows) {
      const ok = sevs.has(tr.dataset.sev) && (!cat || tr.dataset.cat === cat) && (!status || tr.dataset.status === status);
      tr.hidden = !ok;
      shown += ok ? 1 : 0;
    }
    document.getElementById("shown").textContent = shown.toLocaleString("en") + " of " +
      rows.length.toLocaleString("en") + " shown";
  }
  if (form) form.addEventListener("change", filter);
  render();
  document.body.dataset.ready = "1";
})();
