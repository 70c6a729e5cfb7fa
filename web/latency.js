// Response-time chart per component: p50 and p95 per five minutes over
// 48 hours from api/v2/latency.json, drawn here as inline SVG (no library,
// no font from elsewhere), with a region selector and a table for screen
// readers. Fetched when a reader opens "Response time" under a component.

// ---- visible strings: all of this file's text, in one place ----
const T = {
  title: 'Response time (48 hours)',
  series: 'Region',
  p50: 'Median',
  p95: '95th percentile',
  max: 'Max',
  time: 'Time',
  ms: (v) => `${v} ms`,
  loading: 'Loading response times…',
  none: 'No response times recorded in the past 48 hours.',
  error: 'Response times are unavailable right now.',
  table: 'Show as a table',
  caption: (s) => `Response times, ${s}, per five minutes (ms)`,
  label: (s, a, b, m) => `Response time, ${s}, past 48 hours: median ${a} ms, 95th percentile ${b} ms, max ${m} ms.`,
};
// ---- end of visible strings ----

const SVG = 'http://www.w3.org/2000/svg';
const H = 170; const L = 46; const B = 22; const TOP = 8;
const nodes = new Map();   // component id -> its <details>, kept across renders
let names = new Map();     // region id -> name, from the last render
const picked = new Map();  // component id -> chosen series key
const fmtTick = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: 'numeric' });
const fmtRow = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}

function s(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Every (check, region) series that has points, named for the selector.
function seriesOf(doc) {
  const out = [];
  for (const c of (doc.components || [])) {
    const many = (c.checks || []).length > 1;
    for (const k of c.checks || []) {
      for (const r of k.regions || []) {
        if (!r.points || !r.points.length) continue;
        const reg = names.get(r.region) || r.region;
        out.push({ key: `${k.id}/${r.region}`, name: many ? `${reg} · ${k.id}` : reg, points: r.points });
      }
    }
  }
  return out;
}

function niceTop(v) {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= v);
}

function chart(sr, doc, width) {
  const W = Math.max(280, Math.round(width));
  const t0 = Date.parse(doc.since); const t1 = Date.now();
  const step = (doc.period_s || 300) * 1000;
  const pts = sr.points;
  const top = niceTop(Math.max(...pts.map((p) => p[3])) * 1.1);
  const x = (t) => L + ((t - t0) / Math.max(t1 - t0, 1)) * (W - L - 6);
  const y = (v) => TOP + (1 - v / top) * (H - TOP - B);
  const path = (i) => pts.map((p, j) => `${j && p[0] - pts[j - 1][0] <= step ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[i]).toFixed(1)}`).join('');
  const a = Math.max(...pts.map((p) => p[4]));
  const med = pts.map((p) => p[2]).sort((m, n) => m - n)[pts.length >> 1];
  const p95 = pts.map((p) => p[3]).sort((m, n) => m - n)[Math.floor(pts.length * 0.95)] || 0;
  const svg = s('svg', { class: 'lat-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': T.label(sr.name, med, p95, a) });
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svg.append(s('line', { class: 'lat-grid', x1: L, x2: W - 6, y1: y(v), y2: y(v) }),
      s('text', { class: 'lat-ax', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v >= 1000 ? `${v / 1000}s` : `${v}`));
  }
  for (let t = Math.ceil(t0 / 43200000) * 43200000; t < t1; t += 43200000) {
    svg.append(s('text', { class: 'lat-ax', x: x(t), y: H - 6, 'text-anchor': 'middle' }, fmtTick.format(t)));
  }
  svg.append(s('path', { class: 'lat-p95', d: path(3) }), s('path', { class: 'lat-p50', d: path(2) }));
  return svg;
}

function table(sr) {
  const rows = sr.points.slice().reverse().map((p) => h('tr', {},
    h('th', { scope: 'row', text: fmtRow.format(p[0]) }),
    ...[p[2], p[3], p[4]].map((v) => h('td', { text: v }))));
  return h('table', { class: 'lat-table' }, h('caption', { text: T.caption(sr.name) }),
    h('thead', {}, h('tr', {}, ...[T.time, T.p50, T.p95, T.max].map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, ...rows));
}

function draw(id, doc, body) {
  const all = seriesOf(doc);
  if (!all.length) { body.replaceChildren(h('p', { class: 'hint', text: T.none })); return; }
  const cur = all.find((x) => x.key === picked.get(id)) || all[0];
  const sel = h('select', { class: 'lat-sel', id: `lat-sel-${id}` },
    ...all.map((x) => h('option', { value: x.key, text: x.name })));
  sel.value = cur.key;
  sel.addEventListener('change', () => { picked.set(id, sel.value); draw(id, doc, body); body.querySelector('select').focus(); });
  const more = h('details', { class: 'lat-more' }, h('summary', { text: T.table }));
  more.addEventListener('toggle', () => { if (more.open && more.children.length < 2) more.append(table(cur)); });
  body.replaceChildren(
    h('div', { class: 'lat-head' }, h('label', { for: sel.id, text: T.series }), sel,
      h('span', { class: 'lat-key k50', text: T.p50 }), h('span', { class: 'lat-key k95', text: T.p95 })),
    chart(cur, doc, body.clientWidth || 600), more);
  // Drawn in CSS pixels so the labels stay readable: again when the width changes.
  body.redraw = () => body.querySelector('svg').replaceWith(chart(cur, doc, body.clientWidth || 600));
}

let resizing = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => nodes.forEach((d) => { if (d.open && d.lastChild.redraw && d.lastChild.querySelector('svg')) d.lastChild.redraw(); }), 150);
});

async function load(id, d) {
  const body = d.lastChild;
  if (!body.firstChild) body.append(h('p', { class: 'hint', text: T.loading }));
  try {
    const r = await fetch(`api/v2/latency.json?component=${encodeURIComponent(id)}`, { cache: 'no-cache' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    draw(id, await r.json(), body);
  } catch (e) {
    if (!body.querySelector('svg')) body.replaceChildren(h('p', { class: 'hint', text: T.error }));
  }
}

// The "Response time" disclosure of a component (the same node each
// render, so an open chart stays open); names: region id -> name.
export function latencyDetails(id, regionNames) {
  let d = nodes.get(id);
  names = regionNames;
  if (!d) {
    d = h('details', { class: 'latency' }, h('summary', { text: T.title }), h('div', { class: 'lat-body' }));
    d.addEventListener('toggle', () => { if (d.open) load(id, d); });
    nodes.set(id, d);
  } else if (d.open) {
    load(id, d);
  }
  return d;
}

// Focus inside a chart across a re-render of the list (the node moves).
export function latencyFocus() {
  const a = document.activeElement;
  return a && a.closest && a.closest('details.latency') ? a : null;
}
export function latencyRestore(a) {
  if (a && a.isConnected && document.activeElement !== a) a.focus({ preventScroll: true });
}
