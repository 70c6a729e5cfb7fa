// Pharos status page. Reads only the published JSON documents through
// relative URLs, so the page works from the collector, nginx or a CDN as
// plain files. Every piece of feed text is rendered with textContent (the
// el() helper below), never as HTML: an incident body containing markup
// shows as text.

import { latencyDetails, latencyFocus, latencyRestore } from './latency.js';

const REFRESH_MS = 30000;
const FETCH_TIMEOUT_MS = 10000;
const API = 'api/v2/';

const STATUS_TEXT = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};
const IMPACT_TEXT = {
  none: 'No impact', minor: 'Minor impact', major: 'Major impact',
  critical: 'Critical impact', maintenance: 'Maintenance',
};
const UPDATE_TEXT = {
  investigating: 'Investigating', identified: 'Identified',
  monitoring: 'Monitoring', resolved: 'Resolved', postmortem: 'Postmortem',
  scheduled: 'Scheduled', in_progress: 'In progress',
  verifying: 'Verifying', completed: 'Completed',
};
const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'];
const REGION_BAD = { down: 'failing', degraded: 'slow', stale: 'not reporting' };

// Times are shown in the reader's time zone and locale; uptime days are
// calendar dates in the page's zone, so they are formatted as dates only.
const fmtTime = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
  timeZoneName: 'short',
});
const fmtStart = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const fmtClock = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
});
const fmtDay = new Intl.DateTimeFormat(undefined, {
  weekday: 'short', month: 'short', day: 'numeric', year: 'numeric',
});
const fmtCalendar = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC',
});

const $ = (sel, root = document) => root.querySelector(sel);

const state = {
  docs: {},          // last good document per name
  fingerprint: '',   // text of the documents last rendered
  lastOk: 0,         // Date.now() of the last successful summary fetch
  groupsOpen: new Map(),
  inflight: false,
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) e.append(c);
  }
  return e;
}

function parseTime(iso) {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

function timeEl(iso, fmt = fmtTime) {
  const d = parseTime(iso);
  return d ? el('time', { datetime: iso, text: fmt.format(d) }) : null;
}

function duration(s) {
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function fetchText(name) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const r = await fetch(API + name, { cache: 'no-cache', signal: ctl.signal });
    if (r.status === 404) return null;
    if (r.status === 401) {
      // A private page whose session ended while open: sign in again.
      window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname));
      return null;
    }
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
    const text = await r.text();
    JSON.parse(text); // reject a truncated or malformed document here
    return text;
  } finally {
    clearTimeout(timer);
  }
}

// ---- branding and banner -------------------------------------------------

function safeLogo(url) {
  // Only same-origin logos: the page makes no third-party requests.
  try {
    const u = new URL(url, document.baseURI);
    return u.origin === location.origin ? u.href : null;
  } catch (e) {
    return null;
  }
}

function renderBrand(page, brand) {
  const b = brand || {};
  const name = b.name || (page && page.name) || 'Status';
  $('#page-name').textContent = name;
  document.title = `${name} status`;
  const logo = $('#logo');
  const src = b.logo_url ? safeLogo(b.logo_url) : null;
  if (src) {
    if (logo.getAttribute('src') !== src) logo.src = src;
    logo.alt = `${name} logo`;
    logo.hidden = false;
  } else {
    logo.hidden = true;
  }
  const color = b.brand_color || (page && page.brand_color);
  if (/^#[0-9a-fA-F]{6}$/.test(color || '')) {
    const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    const root = document.documentElement.style;
    root.setProperty('--brand', color);
    root.setProperty('--brand-text', hex(darkenFor(rgb, [[246, 247, 249], [255, 255, 255]])));
    root.setProperty('--brand-fill', hex(darkenFor(rgb, [[255, 255, 255]])));
  }
}

// WCAG 2 contrast ratio of two sRGB colours ([r, g, b], 0-255).
function contrast(a, b) {
  const lum = (c) => c.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// The brand colour, darkened in 5 % steps until it reaches 4.5:1 (WCAG AA
// for text) against every colour in `against`: the page and card
// backgrounds for links, white for the button label. A brand that already
// passes is kept as is.
function darkenFor(rgb, against) {
  for (let k = 0; k < 20; k++) {
    const c = rgb.map((v) => Math.round(v * (1 - k * 0.05)));
    if (against.every((bg) => contrast(c, bg) >= 4.5)) return c;
  }
  return [0, 0, 0];
}

function hex(rgb) {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function renderBanner(status) {
  const banner = $('#status-banner');
  const ind = INDICATORS.includes(status && status.indicator) ? status.indicator : 'none';
  banner.dataset.indicator = ind;
  $('#status-text').textContent = (status && status.description) || 'Status unknown';
}

// ---- components and uptime bars ------------------------------------------

function regionNote(checks, regionNames, componentId) {
  const notes = [];
  for (const c of checks || []) {
    if (c.component_id !== componentId) continue;
    const regs = Array.isArray(c.regions) ? c.regions : [];
    const label = (r) => regionNames.get(r.region) || r.region;
    if (c.verdict === 'unknown' || c.insufficient_probes) {
      const silent = regs.filter((r) => r.state === 'stale' || r.state === 'nodata');
      notes.push(`Insufficient probes: too few regions are reporting to confirm the current state`
        + (silent.length ? ` (${silent.map(label).join(', ')} not reporting).` : '.'));
      continue;
    }
    if (c.verdict !== 'up' && c.verdict !== 'degraded') continue;
    const bad = regs.filter((r) => r.state === 'down' || r.state === 'degraded');
    if (!bad.length) continue;
    const parts = bad.map((r) => `${REGION_BAD[r.state]} from ${label(r)}`
      + (r.error ? `: ${r.error}` : ''));
    notes.push(`Regional issue: ${parts.join('; ')}. Other regions are unaffected.`);
  }
  if (!notes.length) return null;
  return el('ul', { class: 'region-note' }, ...notes.map((n) => el('li', { text: n })));
}

function dayDetails(d) {
  const date = fmtCalendar.format(new Date(`${d.date}T00:00:00Z`));
  const noData = d.uptime === null || d.uptime === undefined;
  const lines = [];
  const pairs = [['major_s', 'Major outage'], ['partial_s', 'Partial outage'],
    ['degraded_s', 'Degraded'], ['maintenance_s', 'Maintenance']];
  for (const [k, label] of pairs) {
    if (d[k] > 0) lines.push(`${label}: ${duration(d[k])}`);
  }
  if (d.nodata_s > 0 && !noData) lines.push(`No data: ${duration(d.nodata_s)}`);
  const incidents = Array.isArray(d.incidents) ? d.incidents : [];
  if (!lines.length && !incidents.length && !noData) lines.push('No downtime recorded');
  const pct = noData ? 'No data' : `${Number(d.uptime).toFixed(2)}% uptime`;
  return { date, pct, lines, incidents };
}

function showTip(bar, info) {
  const tip = $('#tooltip');
  tip.replaceChildren(
    el('div', { class: 'tip-head' }, el('strong', { text: info.date }), el('span', { text: info.pct })),
    ...info.lines.map((l) => el('div', { text: l })),
    info.incidents.length ? el('ul', { class: 'tip-inc' },
      ...info.incidents.map((i) => el('li', { dataset: { impact: i.impact || 'none' }, text: i.name }))) : '');
  tip.hidden = false;
  bar.setAttribute('aria-describedby', 'tooltip');
  const r = bar.getBoundingClientRect();
  const w = tip.offsetWidth;
  const vw = document.documentElement.clientWidth;
  const left = Math.max(8, Math.min(r.left + r.width / 2 - w / 2, vw - w - 8));
  let top = r.bottom + 8;
  if (top + tip.offsetHeight > window.innerHeight && r.top - tip.offsetHeight - 8 > 0) {
    top = r.top - tip.offsetHeight - 8;
  }
  tip.style.left = `${left + window.scrollX}px`;
  tip.style.top = `${top + window.scrollY}px`;
  state.tipOwner = bar;
}

function hideTip() {
  const tip = $('#tooltip');
  if (state.tipOwner) state.tipOwner.removeAttribute('aria-describedby');
  state.tipOwner = null;
  tip.hidden = true;
}

function visibleBars(group) {
  return [...group.querySelectorAll('.bar')].filter((b) => b.offsetParent !== null);
}

function onBarKey(ev) {
  const bars = visibleBars(ev.currentTarget);
  const i = bars.indexOf(document.activeElement);
  if (i < 0) return;
  let j = i;
  if (ev.key === 'ArrowLeft') j = i - 1;
  else if (ev.key === 'ArrowRight') j = i + 1;
  else if (ev.key === 'Home') j = 0;
  else if (ev.key === 'End') j = bars.length - 1;
  else if (ev.key === 'Escape') { hideTip(); return; }
  else return;
  ev.preventDefault();
  j = Math.max(0, Math.min(bars.length - 1, j));
  bars[i].tabIndex = -1;
  bars[j].tabIndex = 0;
  bars[j].focus();
}

function renderBars(u, name) {
  const days = Array.isArray(u.days) ? u.days : [];
  const bars = el('div', {
    class: 'uptime-bars', role: 'group',
    'aria-label': `${name}: daily uptime for the past ${days.length} days, oldest first`,
  });
  days.forEach((d, i) => {
    const info = dayDetails(d);
    const inc = info.incidents.length ? `, ${plural(info.incidents.length, 'incident')}` : '';
    const bar = el('button', {
      type: 'button', class: 'bar', tabindex: i === days.length - 1 ? 0 : -1,
      'aria-label': `${info.date}: ${info.pct}${inc}`,
      dataset: { date: d.date, color: d.color || 'grey' },
    });
    bar.addEventListener('mouseenter', () => showTip(bar, info));
    bar.addEventListener('mouseleave', () => { if (document.activeElement !== bar) hideTip(); });
    bar.addEventListener('focus', () => showTip(bar, info));
    bar.addEventListener('blur', hideTip);
    bar.addEventListener('click', () => showTip(bar, info));
    bars.append(bar);
  });
  bars.addEventListener('keydown', onBarKey);
  const pct = typeof u.uptime_90d === 'number' ? `${u.uptime_90d.toFixed(2)}% uptime` : 'No data';
  return el('div', { class: 'uptime' }, bars,
    el('div', { class: 'uptime-meta', 'aria-hidden': 'true' },
      el('span', { class: 'ago' }, el('span', { class: 'ago90', text: '90 days ago' }),
        el('span', { class: 'ago60', text: '60 days ago' }),
        el('span', { class: 'ago30', text: '30 days ago' })),
      el('span', { class: 'rule' }),
      el('span', { class: 'pct', text: pct }),
      el('span', { class: 'rule' }),
      el('span', { text: 'Today' })),
    el('p', { class: 'sr-only', text: `${name}: ${pct} over 90 days.` }));
}

function statusBadge(status) {
  return el('span', { class: 'status', dataset: { status }, text: STATUS_TEXT[status] || status });
}

function visible(c) {
  return !(c.only_show_if_degraded && c.status === 'operational');
}

function componentItem(c, ctx) {
  const li = el('li', { class: 'comp', dataset: { componentId: c.id, status: c.status } });
  li.append(el('div', { class: 'comp-head' },
    el('div', { class: 'comp-title' }, el('h3', { class: 'comp-name', text: c.name }),
      c.description ? el('p', { class: 'comp-desc', text: c.description }) : null),
    statusBadge(c.status)));
  const note = regionNote(ctx.checks, ctx.regionNames, c.id);
  if (note) li.append(note);
  const u = ctx.uptime.get(c.id);
  if (c.showcase && u) li.append(renderBars(u, c.name));
  if (ctx.checks.some((k) => k.component_id === c.id)) li.append(latencyDetails(c.id, ctx.regionNames));
  return li;
}

function groupItem(g, ctx) {
  const kids = (Array.isArray(g.components) ? g.components : [])
    .map((id) => ctx.byId.get(id)).filter((c) => c && visible(c));
  const li = el('li', { class: 'comp group', dataset: { componentId: g.id, status: g.status } });
  const remembered = state.groupsOpen.get(g.id);
  const open = remembered !== undefined ? remembered : g.status !== 'operational';
  const details = el('details', { open });
  details.addEventListener('toggle', () => state.groupsOpen.set(g.id, details.open));
  const summary = el('summary', {}, el('div', { class: 'comp-head' },
    el('div', { class: 'comp-title' },
      el('h3', { class: 'comp-name' }, el('span', { class: 'chev', 'aria-hidden': 'true' }),
        el('span', { text: g.name }),
        el('span', { class: 'count', text: plural(kids.length, 'component') })),
      g.description ? el('p', { class: 'comp-desc', text: g.description }) : null),
    statusBadge(g.status)));
  details.append(summary, el('ul', { class: 'children' }, ...kids.map((c) => componentItem(c, ctx))));
  li.append(details);
  return li;
}

function renderComponents(docs) {
  const comps = Array.isArray(docs.summary.components) ? docs.summary.components : [];
  const pos = (c) => (typeof c.position === 'number' ? c.position : 0);
  const regionNames = new Map();
  for (const r of (docs.regions && docs.regions.regions) || []) {
    if (r && r.id) regionNames.set(r.id, r.name || r.id);
  }
  const ctx = {
    byId: new Map(comps.map((c) => [c.id, c])),
    uptime: new Map(((docs.uptime && docs.uptime.components) || []).map((u) => [u.id, u])),
    checks: docs.regions && Array.isArray(docs.regions.checks) ? docs.regions.checks : [],
    regionNames,
  };
  const top = comps.filter((c) => !(c.group_id && ctx.byId.has(c.group_id)) && visible(c))
    .sort((a, b) => pos(a) - pos(b));
  const items = top.map((c) => (c.group ? groupItem(c, ctx) : componentItem(c, ctx)));
  if (!items.length) items.push(el('li', { class: 'comp empty', text: 'No components are listed.' }));
  $('#components').replaceChildren(...items);
}

// ---- incidents and maintenance -------------------------------------------

function updatesList(inc) {
  const ups = Array.isArray(inc.incident_updates) ? inc.incident_updates : [];
  return el('ol', { class: 'timeline' }, ...ups.map((u) => el('li', { class: 'update', dataset: { status: u.status } },
    el('span', { class: 'st', text: UPDATE_TEXT[u.status] || u.status }),
    el('p', { class: 'body', text: u.body || '' }),
    timeEl(u.display_at || u.created_at))));
}

function affected(inc) {
  const names = (Array.isArray(inc.components) ? inc.components : []).map((c) => c && c.name).filter(Boolean);
  return names.length ? el('p', { class: 'affected', text: `Affects: ${names.join(', ')}` }) : null;
}

// anchor: the card is the target of the feed's shortlinks (#incident-<id>);
// only the first rendering of an incident may carry the id.
function incidentCard(inc, headingLevel = 'h3', anchor = true) {
  const impact = inc.impact || 'none';
  return el('article', { class: 'card incident', id: anchor ? `incident-${inc.id}` : null, dataset: { incidentId: inc.id, impact } },
    el('div', { class: 'card-head' },
      el(headingLevel, { class: 'inc-name', text: inc.name }),
      el('span', { class: 'impact', dataset: { impact }, text: IMPACT_TEXT[impact] || impact })),
    affected(inc), updatesList(inc));
}

function maintenanceCard(m) {
  const start = parseTime(m.scheduled_for);
  const end = parseTime(m.scheduled_until);
  const live = m.status === 'in_progress' || m.status === 'verifying';
  let when = null;
  if (start) {
    const sameDay = end && start.toDateString() === end.toDateString();
    when = el('p', { class: 'when' }, timeEl(m.scheduled_for, end ? fmtStart : fmtTime), ' – ',
      end ? timeEl(m.scheduled_until, sameDay ? fmtClock : fmtTime) : 'until further notice');
  }
  return el('article', { class: 'card maint', dataset: { maintenanceId: m.id, status: m.status } },
    el('div', { class: 'card-head' },
      el('h3', { class: 'inc-name', text: m.name }),
      el('span', { class: `impact ${live ? 'live' : ''}`, dataset: { impact: 'maintenance' },
        text: UPDATE_TEXT[m.status] || m.status })),
    when, affected(m), updatesList(m));
}

function renderSection(sel, items, render) {
  const sec = $(sel);
  sec.hidden = items.length === 0;
  $('.list', sec).replaceChildren(...items.map(render));
}

function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

const UNRESOLVED = new Set(['investigating', 'identified', 'monitoring']);

function renderPast(docs) {
  const src = (docs.incidents && docs.incidents.incidents) || docs.summary.incidents || [];
  const byDay = new Map();
  for (const inc of src) {
    const d = parseTime(inc.started_at || inc.created_at);
    if (!d) continue;
    const k = dayKey(d);
    if (!byDay.has(k)) byDay.set(k, []);
    byDay.get(k).push(inc);
  }
  const out = [];
  const now = new Date();
  for (let i = 0; i < 7; i++) {
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i, 12);
    const list = byDay.get(dayKey(day)) || [];
    out.push(el('section', { class: 'day', dataset: { day: dayKey(day) }, 'aria-label': fmtDay.format(day) },
      el('h3', { class: 'day-h', text: fmtDay.format(day) }),
      ...(list.length ? list.map((inc) => incidentCard(inc, 'h4', !UNRESOLVED.has(inc.status)))
        : [el('p', { class: 'quiet', text: 'No incidents reported.' })])));
  }
  $('#incidents-past .list').replaceChildren(...out);
}

// ---- refresh loop --------------------------------------------------------

function renderAll(docs) {
  const s = docs.summary;
  renderBrand(s.page, docs.page);
  renderBanner(s.status);
  renderComponents(docs);
  renderSection('#incidents-active', Array.isArray(s.incidents) ? s.incidents : [], (i) => incidentCard(i));
  const maint = (Array.isArray(s.scheduled_maintenances) ? s.scheduled_maintenances : [])
    .filter((m) => m.status !== 'completed')
    .sort((a, b) => String(a.scheduled_for).localeCompare(String(b.scheduled_for)));
  renderSection('#maintenance', maint, maintenanceCard);
  renderPast(docs);
}

function renderFooter() {
  const s = state.docs.summary;
  const updated = s && parseTime(s.page && s.page.updated_at);
  const checked = state.lastOk ? fmtClock.format(new Date(state.lastOk)) : null;
  const p = $('#last-updated');
  p.replaceChildren();
  if (updated) p.append('Last updated ', timeEl(s.page.updated_at), '. ');
  if (checked) p.append(`Checked at ${checked}; refreshes every 30 seconds.`);
}

function focusedBar() {
  const a = document.activeElement;
  if (!a || !a.classList.contains('bar')) return null;
  const comp = a.closest('[data-component-id]');
  return comp ? { id: comp.dataset.componentId, date: a.dataset.date } : null;
}

function restoreFocus(f) {
  if (!f) return;
  const comp = document.querySelector(`[data-component-id="${CSS.escape(f.id)}"]`);
  const bar = comp && comp.querySelector(`.bar[data-date="${CSS.escape(f.date)}"]`);
  if (bar) {
    bar.parentElement.querySelectorAll('.bar').forEach((b) => { b.tabIndex = -1; });
    bar.tabIndex = 0;
    bar.focus({ preventScroll: true });
  }
}

async function refresh() {
  if (state.inflight) {
    state.again = true; // run once more when the current fetch ends
    return;
  }
  state.inflight = true;
  state.again = false;
  try {
    const names = ['summary', 'uptime', 'regions', 'incidents', 'page'];
    const texts = await Promise.all(names.map((n) => fetchText(`${n}.json`).catch((e) => {
      if (n === 'summary') throw e;
      return undefined; // optional document unreachable: keep the last one
    })));
    if (texts[0] === null) throw new Error('summary.json: HTTP 404');
    const docs = {};
    names.forEach((n, i) => {
      docs[n] = texts[i] === undefined ? state.docs[n] || null : texts[i] && JSON.parse(texts[i]);
    });
    if (!docs.summary || typeof docs.summary !== 'object') throw new Error('summary.json: not an object');
    const fp = texts.map((t) => (t === undefined ? '~' : t)).join('\u0000');
    state.docs = docs;
    state.lastOk = Date.now();
    if (fp !== state.fingerprint) {
      const f = focusedBar();
      const lf = latencyFocus();
      hideTip();
      renderAll(docs);
      restoreFocus(f);
      latencyRestore(lf);
      state.fingerprint = fp;
    }
    $('#stale-notice').hidden = true;
    document.body.classList.remove('stale');
  } catch (err) {
    const notice = $('#stale-notice');
    const detail = $('#stale-detail');
    if (state.lastOk) {
      detail.textContent = `Last successful update at ${fmtTime.format(new Date(state.lastOk))}. Retrying every 30 seconds.`;
    } else {
      detail.textContent = 'Retrying every 30 seconds.';
      $('#status-banner').dataset.indicator = 'unknown';
      $('#status-text').textContent = 'Status data is unavailable right now';
    }
    notice.hidden = false;
    document.body.classList.add('stale');
  } finally {
    state.inflight = false;
    renderFooter();
    if (state.again) refresh();
  }
}

// ---- subscribe -----------------------------------------------------------

function setupSubscribe() {
  const form = $('#subscribe-form');
  const msg = $('#subscribe-msg');
  const button = $('button', form);
  const say = (text, kind) => {
    msg.textContent = text;
    msg.dataset.kind = kind;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = form.elements.email;
    const email = input.value.trim();
    if (!email || !input.checkValidity()) {
      say('Please enter a valid email address.', 'error');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    say('Subscribing…', 'pending');
    button.disabled = true;
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
      let r;
      try {
        r = await fetch(`${API}subscribers.json`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ subscriber: { email } }),
          signal: ctl.signal,
        });
      } finally {
        clearTimeout(timer);
      }
      let body = null;
      try { body = await r.json(); } catch (e) { body = null; }
      const server = body && typeof body === 'object'
        ? (typeof body.message === 'string' && body.message)
          || (typeof body.error === 'string' && body.error) : null;
      if (r.ok) {
        say(server || 'Almost done: check your inbox to confirm the subscription.', 'ok');
        form.reset();
      } else if (r.status === 429 || r.status === 420) {
        say(server || 'Too many requests. Please try again in a minute.', 'error');
      } else {
        say(server || `Subscription failed (HTTP ${r.status}). Please try again later.`, 'error');
      }
    } catch (e) {
      say('Could not reach the server. Please try again later.', 'error');
    } finally {
      button.disabled = false;
    }
  });
}

// ---- start ---------------------------------------------------------------

setupSubscribe();
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') hideTip(); });
window.addEventListener('resize', hideTip);
refresh();
setInterval(refresh, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
