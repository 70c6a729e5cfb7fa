// Pharos status page. Reads only the published JSON documents, with
// relative URLs, so it works from nginx or a CDN as plain files. Every
// piece of feed text is rendered with textContent, never as HTML.

const REFRESH_MS = 30000;
const STATUS_TEXT = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

async function getJSON(path, optional = false) {
  const r = await fetch(path, { cache: 'no-cache' });
  if (!r.ok) {
    if (optional && r.status === 404) return null;
    throw new Error(`${path}: HTTP ${r.status}`);
  }
  return r.json();
}

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : timeFmt.format(d);
}

function renderBrand(page, brand) {
  const name = (brand && brand.name) || (page && page.name) || 'Status';
  $('#page-name').textContent = name;
  document.title = `${name} status`;
  if (brand && brand.logo_url) {
    const img = $('#logo');
    img.src = brand.logo_url;
    img.alt = `${name} logo`;
    img.hidden = false;
  }
  if (brand && /^#[0-9a-fA-F]{6}$/.test(brand.brand_color || '')) {
    document.documentElement.style.setProperty('--brand', brand.brand_color);
  }
}

function renderBanner(status) {
  const b = $('#status-banner');
  b.dataset.indicator = status.indicator;
  $('#status-text').textContent = status.description;
}

function regionNote(checks, componentId) {
  if (!checks) return null;
  const notes = [];
  for (const c of checks) {
    if (c.component_id !== componentId) continue;
    const bad = c.regions.filter((r) => r.state === 'down' || r.state === 'degraded');
    if (c.verdict === 'unknown') {
      notes.push(`${c.id}: insufficient probes`);
    } else if (bad.length && (c.verdict === 'up' || c.verdict === 'degraded')) {
      notes.push(`${c.id}: ${bad.map((r) => `${r.state} in ${r.region}`).join(', ')}`);
    }
  }
  return notes.length ? el('p', { class: 'note', text: `Regional note: ${notes.join('; ')}` }) : null;
}

function showTip(target, lines) {
  const tip = $('#tooltip');
  tip.replaceChildren(...lines.map((l, i) => el(i === 0 ? 'strong' : 'div', { text: l })));
  tip.hidden = false;
  const r = target.getBoundingClientRect();
  const w = tip.offsetWidth;
  let left = window.scrollX + r.left + r.width / 2 - w / 2;
  left = Math.max(8, Math.min(left, window.scrollX + document.documentElement.clientWidth - w - 8));
  tip.style.left = `${left}px`;
  tip.style.top = `${window.scrollY + r.bottom + 8}px`;
}

function hideTip() {
  $('#tooltip').hidden = true;
}

function dayLines(d) {
  const date = dateFmt.format(new Date(`${d.date}T12:00:00`));
  const lines = [date];
  if (d.uptime === null || d.uptime === undefined) {
    lines.push('No data');
  } else {
    lines.push(`${d.uptime.toFixed(2)}% uptime`);
  }
  const mins = (s) => Math.round(s / 60);
  if (d.major_s) lines.push(`Major outage: ${mins(d.major_s)} min`);
  if (d.partial_s) lines.push(`Partial outage: ${mins(d.partial_s)} min`);
  if (d.degraded_s) lines.push(`Degraded: ${mins(d.degraded_s)} min`);
  if (d.maintenance_s) lines.push(`Maintenance: ${mins(d.maintenance_s)} min`);
  if (d.nodata_s && d.uptime !== null) lines.push(`No data: ${mins(d.nodata_s)} min`);
  for (const inc of d.incidents || []) lines.push(`Incident: ${inc.name}`);
  if (lines.length === 2 && d.uptime !== null) lines.push('No downtime recorded');
  return lines;
}

function renderBars(u) {
  const bars = el('div', { class: 'uptime-bars', role: 'list', 'aria-label': 'Daily uptime, oldest first' });
  for (const d of u.days) {
    const lines = dayLines(d);
    const bar = el('button', {
      class: 'bar', type: 'button', role: 'listitem',
      'aria-label': lines.join(', '),
      dataset: { date: d.date, color: d.color },
    });
    bar.addEventListener('mouseenter', () => showTip(bar, lines));
    bar.addEventListener('mouseleave', hideTip);
    bar.addEventListener('focus', () => showTip(bar, lines));
    bar.addEventListener('blur', hideTip);
    bars.append(bar);
  }
  const pct = u.uptime_90d === null || u.uptime_90d === undefined
    ? 'No data' : `${u.uptime_90d.toFixed(2)}% uptime`;
  return el('div', { class: 'uptime' }, bars,
    el('div', { class: 'uptime-meta' },
      el('span', { text: '90 days ago' }), el('span', { text: pct }), el('span', { text: 'Today' })));
}

function componentItem(c, uptime, checks) {
  const li = el('li', { dataset: { componentId: c.id, status: c.status } });
  const head = el('div', { class: 'comp-head' },
    el('div', {}, el('span', { class: 'comp-name', text: c.name }),
      c.description ? el('div', { class: 'comp-desc', text: c.description }) : null),
    el('span', { class: 'status', dataset: { status: c.status }, text: STATUS_TEXT[c.status] || c.status }));
  li.append(head);
  const note = regionNote(checks, c.id);
  if (note) li.append(note);
  const u = uptime && uptime.get(c.id);
  if (c.showcase && u) li.append(renderBars(u));
  return li;
}

function renderComponents(components, uptime, checks) {
  const byId = new Map(components.map((c) => [c.id, c]));
  const list = $('#components');
  const items = [];
  for (const c of components) {
    if (c.group_id && byId.has(c.group_id)) continue; // rendered under its group
    if (c.only_show_if_degraded && c.status === 'operational') continue;
    if (c.group) {
      const li = el('li', { class: 'group', dataset: { componentId: c.id, status: c.status } });
      const details = el('details', { open: c.status !== 'operational' });
      const summary = el('summary', {}, el('div', { class: 'comp-head' },
        el('span', { class: 'comp-name', text: `${c.name} (${(c.components || []).length})` }),
        el('span', { class: 'status', dataset: { status: c.status }, text: STATUS_TEXT[c.status] || c.status })));
      const kids = el('ul', { class: 'children' });
      for (const id of c.components || []) {
        const child = byId.get(id);
        if (child && !(child.only_show_if_degraded && child.status === 'operational')) {
          kids.append(componentItem(child, uptime, checks));
        }
      }
      details.append(summary, kids);
      li.append(details);
      items.push(li);
    } else {
      items.push(componentItem(c, uptime, checks));
    }
  }
  list.replaceChildren(...items);
}

function incidentCard(inc, withTimeline) {
  const card = el('article', { class: `card impact-${inc.impact}`, dataset: { incidentId: inc.id } },
    el('h3', { text: inc.name }));
  if (inc.scheduled_for) {
    card.append(el('span', { class: 'when',
      text: `${fmtTime(inc.scheduled_for)} – ${fmtTime(inc.scheduled_until)}` }));
  }
  const updates = withTimeline ? inc.incident_updates || [] : (inc.incident_updates || []).slice(0, 1);
  for (const u of updates) {
    card.append(el('div', { class: 'update' },
      el('span', { class: 'st', text: u.status.replace('_', ' ') }), ' — ',
      el('span', { class: 'body', text: u.body || '' }),
      el('time', { datetime: u.display_at || u.created_at, text: fmtTime(u.display_at || u.created_at) })));
  }
  return card;
}

function renderSection(id, items, render) {
  const sec = $(id);
  sec.hidden = items.length === 0;
  sec.querySelector('.list').replaceChildren(...items.map(render));
}

function renderPast(incidents) {
  const days = [];
  const today = new Date();
  for (let i = 0; i < 7; i++) {
    const d = new Date(today);
    d.setDate(today.getDate() - i);
    days.push(d);
  }
  const key = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  const byDay = new Map();
  for (const inc of incidents || []) {
    const k = key(new Date(inc.created_at));
    if (!byDay.has(k)) byDay.set(k, []);
    byDay.get(k).push(inc);
  }
  const out = days.map((d) => {
    const list = byDay.get(key(d)) || [];
    return el('div', { class: 'day' }, el('h3', { text: dateFmt.format(d) }),
      ...(list.length ? list.map((inc) => incidentCard(inc, false))
        : [el('p', { class: 'quiet', text: 'No incidents reported.' })]));
  });
  $('#incidents-past .list').replaceChildren(...out);
}

let lastOk = 0;

async function refresh() {
  try {
    const [summary, uptime, regions, incidents, brand] = await Promise.all([
      getJSON('api/v2/summary.json'),
      getJSON('api/v2/uptime.json', true).catch(() => null),
      getJSON('api/v2/regions.json', true).catch(() => null),
      getJSON('api/v2/incidents.json', true).catch(() => null),
      getJSON('api/v2/page.json', true).catch(() => null),
    ]);
    renderBrand(summary.page, brand);
    renderBanner(summary.status);
    const up = uptime ? new Map(uptime.components.map((c) => [c.id, c])) : null;
    renderComponents(summary.components, up, regions && regions.checks);
    const active = summary.incidents || [];
    renderSection('#incidents-active', active, (i) => incidentCard(i, true));
    renderSection('#maintenance', summary.scheduled_maintenances || [], (i) => incidentCard(i, true));
    const past = ((incidents && incidents.incidents) || [])
      .filter((i) => i.status === 'resolved' || i.status === 'postmortem');
    renderPast(past);
    lastOk = Date.now();
    $('#stale-notice').hidden = true;
    $('#updated').textContent = `Updated ${fmtTime(summary.page.updated_at)}`;
  } catch (err) {
    $('#stale-notice').hidden = false;
    if (!lastOk) $('#status-text').textContent = 'Status data is unavailable right now.';
  }
}

function setupSubscribe() {
  const form = $('#subscribe-form');
  const msg = $('#subscribe-msg');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const email = form.email.value.trim();
    if (!form.email.checkValidity() || !email) {
      msg.textContent = 'Please enter a valid email address.';
      return;
    }
    msg.textContent = 'Subscribing…';
    try {
      const r = await fetch('api/v2/subscribers.json', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ subscriber: { email } }),
      });
      let body = null;
      try { body = await r.json(); } catch (e) { body = null; }
      if (r.ok) {
        msg.textContent = 'Check your inbox to confirm your subscription.';
        form.reset();
      } else {
        msg.textContent = (body && (body.message || body.error)) || `Subscription failed (HTTP ${r.status}).`;
      }
    } catch (e) {
      msg.textContent = 'Could not reach the server. Please try again later.';
    }
  });
}

setupSubscribe();
refresh();
setInterval(refresh, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
