// Pharos status page. Reads only the published JSON documents through
// relative URLs, so the page works from the collector, nginx or a CDN as
// plain files. Feed text is rendered with textContent (el()), never as
// HTML. Strings come from i18n/<lang>.json (t()), dates and numbers from
// Intl.

import { latencyDetails, latencyFocus, latencyRestore } from './latency.js';

const REFRESH_MS = 30000;
const FETCH_TIMEOUT_MS = 10000;
const API = 'api/v2/';
const $ = (sel, root = document) => root.querySelector(sel);

const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'];
const LANGS = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'zh-CN'];

// ---- languages: page.json's, or the reader's (Accept-Language) when
// reader_language is set. A missing key is shown in English (fillGaps).

const i18n = { lang: 'en', en: null, cur: {} };
let fmtTime, fmtStart, fmtClock, fmtDay, fmtCalendar, fmtPct, fmtInt, fmtRel, fmtList, plurals;

// As lib/lang.c.
function matchTag(tag) {
  const t = String(tag).toLowerCase();
  const p = t.split('-')[0];
  if (p === 'zh') return /^zh-(hant|tw|hk|mo)\b/.test(t) ? null : 'zh-CN';
  return p === 'pt' ? 'pt-BR' : LANGS.find((l) => l === p) || null;
}

function pickLang(page) {
  const conf = page && LANGS.includes(page.language) ? page.language : 'en';
  const mine = page && page.reader_language === true
    && (navigator.languages || []).map(matchTag).find(Boolean);
  return mine || conf;
}

function t(key, vars) {
  let s = i18n.cur[key];
  if (typeof s !== 'string' || !s) {
    s = i18n.en && i18n.en[key];
    if (!i18n.en) i18n.missing = true;
    if (typeof s !== 'string') return key;
  }
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

// key_one, key_other, ... by Intl.PluralRules.
function tn(key, n) {
  const k = `${key}_${plurals.select(n)}`;
  return t(k in i18n.cur ? k : `${key}_other`, { n: fmtInt.format(n) });
}

// The message with nodes for its placeholders.
function tParts(key, vars) {
  return t(key).split(/(\{\w+\})/).map((p) => (p[0] === '{' && vars[p.slice(1, -1)]) || p);
}

function setLocale(lang, cur) {
  i18n.lang = lang;
  i18n.cur = cur;
  // The reader's variant (en-GB dates on an English page) when it fits.
  const nav = navigator.language || '';
  const L = nav.split('-')[0] === lang.split('-')[0] ? nav : lang;
  // Times in the reader's zone; uptime days are dates in the page's.
  const dt = (o) => new Intl.DateTimeFormat(L, o);
  const md = { month: 'short', day: 'numeric' };
  fmtTime = dt({ ...md, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  fmtStart = dt({ ...md, hour: 'numeric', minute: '2-digit' });
  fmtClock = dt({ hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  fmtDay = dt({ ...md, weekday: 'short', year: 'numeric' });
  fmtCalendar = dt({ ...md, year: 'numeric', timeZone: 'UTC' });
  fmtPct = new Intl.NumberFormat(L, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
  fmtInt = new Intl.NumberFormat(L);
  fmtRel = new Intl.RelativeTimeFormat(L, { numeric: 'auto' });
  fmtList = new Intl.ListFormat(L, { style: 'short', type: 'unit' });
  plurals = new Intl.PluralRules(L);
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  $('#subscribe-email').placeholder = t('email_placeholder');
  $('#atom').title = t('atom_title');
  $('#header-links').setAttribute('aria-label', t('links_nav'));
}

async function loadLanguage() {
  const page = await fetchJson(`${API}page.json`);
  let lang = pickLang(page);
  let cur = await fetchJson(`i18n/${lang}.json`);
  if (!cur && lang !== 'en') {
    lang = 'en';
    cur = await fetchJson('i18n/en.json');
  }
  if (lang === 'en') i18n.en = cur || {};
  setLocale(lang, cur || {});
}

// After a rendering that lacked a string: fetch English, draw again.
async function fillGaps() {
  if (!i18n.missing || i18n.en) return;
  i18n.en = await fetchJson('i18n/en.json') || {};
  setLocale(i18n.lang, i18n.cur);
  renderAll(state.docs);
  renderFooter();
}

const pct = (v) => fmtPct.format(Number(v) / 100);

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
  if (m < 60) return t('minutes', { m: fmtInt.format(m) });
  const h = fmtInt.format(Math.floor(m / 60));
  return m % 60 ? t('hours_minutes', { h, m: fmtInt.format(m % 60) }) : t('hours', { h });
}

async function fetchOk(url) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const r = await fetch(url, { cache: 'no-cache', signal: ctl.signal });
    if (r.status === 404) return null;
    if (r.status === 401) {
      // A private page whose session ended while open: sign in again.
      window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname));
      return null;
    }
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    const text = await r.text();
    JSON.parse(text); // reject a truncated or malformed document here
    return text;
  } finally {
    clearTimeout(timer);
  }
}

const fetchText = (name) => fetchOk(API + name);
const fetchJson = (url) => fetchOk(url).then(JSON.parse, () => null);

// ---- branding and banner -------------------------------------------------

function safeLogo(url) {
  // Only same-origin files: the page makes no third-party requests.
  try {
    const u = new URL(url, document.baseURI);
    return u.origin === location.origin ? u.href : null;
  } catch (e) {
    return null;
  }
}

function safeHref(url) {
  try {
    const u = new URL(url, document.baseURI);
    return ['https:', 'http:', 'mailto:'].includes(u.protocol) ? u.href : null;
  } catch (e) {
    return null;
  }
}

function renderLinks(sel, links) {
  const items = (Array.isArray(links) ? links : []).slice(0, 8)
    .map((l) => l && safeHref(l.url) && el('a', { href: safeHref(l.url), text: String(l.label).slice(0, 80) }))
    .filter(Boolean);
  $(sel).replaceChildren(...items);
  $(sel).hidden = !items.length;
}

function rgbOf(color) {
  return /^#[0-9a-fA-F]{6}$/.test(color || '') ? [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) : null;
}

function renderBrand(page, brand) {
  const b = brand || {};
  const name = b.name || (page && page.name) || 'Status';
  $('#page-name').textContent = name;
  document.title = t('page_title', { name });
  const logo = $('#logo');
  const src = b.logo_url ? safeLogo(b.logo_url) : null;
  if (src) {
    if (logo.getAttribute('src') !== src) logo.src = src;
    logo.alt = t('logo_alt', { name });
    logo.hidden = false;
  } else {
    logo.hidden = true;
  }
  const icon = b.favicon_url && safeLogo(b.favicon_url);
  if (icon) $('#favicon').href = icon;
  const css = b.css_url && safeLogo(b.css_url);
  if (css && !$('#brand-css')) document.head.append(el('link', { id: 'brand-css', rel: 'stylesheet', href: css }));
  renderLinks('#header-links', b.header_links);
  renderLinks('#footer-links', b.footer_links);
  const root = document.documentElement.style;
  const rgb = rgbOf(b.brand_color || (page && page.brand_color));
  if (rgb) {
    root.setProperty('--brand', hex(rgb));
    root.setProperty('--brand-text', hex(adjustFor(rgb, [[246, 247, 249], [255, 255, 255]])));
    root.setProperty('--brand-fill', hex(adjustFor(rgb, [[255, 255, 255]])));
  }
  const dark = rgbOf(b.brand_color_dark);
  if (dark) root.setProperty('--brand-dark', hex(adjustFor(dark, [[14, 17, 22], [22, 27, 34]], true)));
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

// The brand colour, darkened (lightened: dark scheme) in 5 % steps until
// 4.5:1 (WCAG AA text) against every colour in `against`: the page and
// card backgrounds for links, white for the button label.
function adjustFor(rgb, against, lighten = false) {
  for (let k = 0; k < 20; k++) {
    const c = rgb.map((v) => Math.round(lighten ? v + (255 - v) * k * 0.05 : v * (1 - k * 0.05)));
    if (against.every((bg) => contrast(c, bg) >= 4.5)) return c;
  }
  return lighten ? [255, 255, 255] : [0, 0, 0];
}

function hex(rgb) {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function renderBanner(status) {
  const banner = $('#status-banner');
  const ind = INDICATORS.includes(status && status.indicator) ? status.indicator : 'none';
  banner.dataset.indicator = ind;
  // By indicator: the feed's description is English.
  const known = status && INDICATORS.includes(status.indicator);
  $('#status-text').textContent = known ? t(`banner_${ind}`) : (status && status.description) || t('status_unknown');
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
      notes.push(silent.length ? t('insufficient_list', { regions: fmtList.format(silent.map(label)) })
        : t('insufficient'));
      continue;
    }
    if (c.verdict !== 'up' && c.verdict !== 'degraded') continue;
    const bad = regs.filter((r) => r.state === 'down' || r.state === 'degraded');
    if (!bad.length) continue;
    const parts = bad.map((r) => t(`region_${r.state}`, { region: label(r) })
      + (r.error ? `: ${r.error}` : ''));
    notes.push(t('regional', { parts: parts.join('; ') }));
  }
  if (!notes.length) return null;
  return el('ul', { class: 'region-note' }, ...notes.map((n) => el('li', { text: n })));
}

// ---- dependencies and mass failures (depends_on, mass_failure) ----------
// Their text is in the catalogues (affected_by, region_mass_failure); both
// come from Pharos extensions
// that Statuspage clients ignore: a component's affected_by (the id of
// the dependency its outage is attributed to) and a region's
// mass_failure in regions.json.

function dependencyNote(c, ctx) {
  if (!c.affected_by) return null;
  const dep = ctx.byId.get(c.affected_by);
  const name = (dep && dep.name) || c.affected_by;
  return el('p', { class: 'dep-note', text: t('affected_by', { name }) });
}

function massFailureNotes(regions) {
  const list = (regions && Array.isArray(regions.regions)) ? regions.regions : [];
  return list.filter((r) => r && r.mass_failure).map((r) => el('li', {
    class: 'comp region-mass',
    text: t('region_mass_failure', {
      region: r.name || r.id,
      failing: fmtInt.format(r.mass_failure.failing),
      checks: fmtInt.format(r.mass_failure.checks),
    }),
  }));
}

// ---------------------------------------------------------------------------

function dayDetails(d) {
  const date = fmtCalendar.format(new Date(`${d.date}T00:00:00Z`));
  const noData = d.uptime === null || d.uptime === undefined;
  const lines = [];
  const pairs = [['major_s', 'major_outage'], ['partial_s', 'partial_outage'],
    ['degraded_s', 'degraded'], ['maintenance_s', 'impact_maintenance']];
  if (!noData) pairs.push(['nodata_s', 'no_data']);
  for (const [k, label] of pairs) {
    if (d[k] > 0) lines.push(t('day_line', { label: t(label), time: duration(d[k]) }));
  }
  const incidents = Array.isArray(d.incidents) ? d.incidents : [];
  if (!lines.length && !incidents.length && !noData) lines.push(t('no_downtime'));
  const p = noData ? t('no_data') : t('uptime', { pct: pct(d.uptime) });
  return { date, pct: p, lines, incidents };
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
    'aria-label': t('bars_label', { name, n: fmtInt.format(days.length) }),
  });
  days.forEach((d, i) => {
    const info = dayDetails(d);
    const n = info.incidents.length;
    const bar = el('button', {
      type: 'button', class: 'bar', tabindex: i === days.length - 1 ? 0 : -1,
      'aria-label': n ? t('bar_label_incidents', { date: info.date, pct: info.pct, incidents: tn('incidents', n) })
        : t('bar_label', { date: info.date, pct: info.pct }),
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
  const p = typeof u.uptime_90d === 'number' ? t('uptime', { pct: pct(u.uptime_90d) }) : t('no_data');
  const ago = (n) => el('span', { class: `ago${n}`, text: fmtRel.format(-n, 'day') });
  return el('div', { class: 'uptime' }, bars,
    el('div', { class: 'uptime-meta', 'aria-hidden': 'true' },
      el('span', { class: 'ago' }, ago(90), ago(60), ago(30)),
      el('span', { class: 'rule' }),
      el('span', { class: 'pct', text: p }),
      el('span', { class: 'rule' }),
      el('span', { class: 'today', text: t('today') })),
    el('p', { class: 'sr-only', text: t('bars_summary', { name, pct: p }) }));
}

function statusBadge(status) {
  return el('span', { class: 'status', dataset: { status }, text: t(status) });
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
  const dep = dependencyNote(c, ctx);
  if (dep) li.append(dep);
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
        el('span', { class: 'count', text: tn('components', kids.length) })),
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
  const items = [...massFailureNotes(docs.regions),
    ...top.map((c) => (c.group ? groupItem(c, ctx) : componentItem(c, ctx)))];
  if (!items.length) items.push(el('li', { class: 'comp empty', text: t('no_components') }));
  $('#components').replaceChildren(...items);
}

// ---- incidents and maintenance -------------------------------------------

function updatesList(inc) {
  const ups = Array.isArray(inc.incident_updates) ? inc.incident_updates : [];
  return el('ol', { class: 'timeline' }, ...ups.map((u) => el('li', { class: 'update', dataset: { status: u.status } },
    el('span', { class: 'st', text: t(u.status) }),
    el('p', { class: 'body', text: u.body || '' }),
    timeEl(u.display_at || u.created_at))));
}

function affected(inc) {
  const names = (Array.isArray(inc.components) ? inc.components : []).map((c) => c && c.name).filter(Boolean);
  return names.length ? el('p', { class: 'affected', text: t('affects', { names: fmtList.format(names) }) }) : null;
}

// How fresh an active incident's news is: "Updated 12 minutes ago", and
// "Next update by 14:30" when the latest update promised one (Pharos'
// next_update_at). Readers during an outage want to know they are not
// forgotten.
function freshness(inc) {
  if (!UNRESOLVED.has(inc.status)) return null;
  const ups = Array.isArray(inc.incident_updates) ? inc.incident_updates : [];
  const last = ups[0];
  const at = last && parseTime(last.display_at || last.created_at);
  if (!at) return null;
  const min = Math.max(0, Math.floor((Date.now() - at.getTime()) / 60000));
  const ago = min < 1 ? t('just_now') : fmtRel.format(-min, 'minute');
  const p = el('p', { class: 'freshness' }, ...tParts('updated_ago', {
    ago: el('time', { datetime: last.display_at || last.created_at, title: fmtTime.format(at), text: ago }) }));
  if (parseTime(last.next_update_at)) {
    p.append(' ', ...tParts('next_update', { time: timeEl(last.next_update_at, fmtClock) }));
  }
  return p;
}

// anchor: the card is the target of the feed's shortlinks (#incident-<id>);
// only the first rendering of an incident may carry the id.
// fresh: the active list shows how fresh the news is (freshness()).
function incidentCard(inc, headingLevel = 'h3', anchor = true, fresh = false) {
  const impact = inc.impact || 'none';
  return el('article', { class: 'card incident', id: anchor ? `incident-${inc.id}` : null, dataset: { incidentId: inc.id, impact } },
    el('div', { class: 'card-head' },
      el(headingLevel, { class: 'inc-name', text: inc.name }),
      el('span', { class: 'impact', dataset: { impact }, text: t(`impact_${impact}`) })),
    affected(inc), fresh ? freshness(inc) : null, updatesList(inc));
}

function maintenanceCard(m) {
  const start = parseTime(m.scheduled_for);
  const end = parseTime(m.scheduled_until);
  const live = m.status === 'in_progress' || m.status === 'verifying';
  let when = null;
  if (start) {
    const sameDay = end && start.toDateString() === end.toDateString();
    when = el('p', { class: 'when' }, timeEl(m.scheduled_for, end ? fmtStart : fmtTime), ' – ',
      end ? timeEl(m.scheduled_until, sameDay ? fmtClock : fmtTime) : t('until_further_notice'));
  }
  return el('article', { class: 'card maint', dataset: { maintenanceId: m.id, status: m.status } },
    el('div', { class: 'card-head' },
      el('h3', { class: 'inc-name', text: m.name }),
      el('span', { class: `impact ${live ? 'live' : ''}`, dataset: { impact: 'maintenance' },
        text: t(m.status) })),
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
        : [el('p', { class: 'quiet', text: t('no_incidents_day') })])));
  }
  $('#incidents-past .list').replaceChildren(...out);
}

// ---- refresh loop --------------------------------------------------------

function renderAll(docs) {
  const s = docs.summary;
  renderBrand(s.page, docs.page);
  renderBanner(s.status);
  renderComponents(docs);
  renderSection('#incidents-active', Array.isArray(s.incidents) ? s.incidents : [], (i) => incidentCard(i, 'h3', true, true));
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
  if (updated) p.append(...tParts('last_updated', { time: timeEl(s.page.updated_at) }), ' ');
  if (checked) p.append(t('checked_at', { time: checked }));
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
      fillGaps();
    }
    $('#stale-notice').hidden = true;
    document.body.classList.remove('stale');
  } catch (err) {
    const notice = $('#stale-notice');
    const detail = $('#stale-detail');
    if (state.lastOk) {
      detail.textContent = t('stale_since', { time: fmtTime.format(new Date(state.lastOk)) });
    } else {
      detail.textContent = t('retrying');
      $('#status-banner').dataset.indicator = 'unknown';
      $('#status-text').textContent = t('unavailable');
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
      say(t('invalid_email'), 'error');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    say(t('subscribing'), 'pending');
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
      // The server's words are English: shown on an English page only.
      const server = i18n.lang === 'en' && body && typeof body === 'object'
        ? (typeof body.message === 'string' && body.message)
          || (typeof body.error === 'string' && body.error) : null;
      if (r.ok) {
        say(server || t('subscribe_ok'), 'ok');
        form.reset();
      } else if (r.status === 429 || r.status === 420) {
        say(server || t('subscribe_busy'), 'error');
      } else {
        say(server || t('subscribe_failed', { status: r.status }), 'error');
      }
    } catch (e) {
      say(t('subscribe_offline'), 'error');
    } finally {
      button.disabled = false;
    }
  });
}

// ---- start ---------------------------------------------------------------

setupSubscribe();
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') hideTip(); });
window.addEventListener('resize', hideTip);
loadLanguage().then(() => {
  refresh();
  setInterval(refresh, REFRESH_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refresh();
  });
});
