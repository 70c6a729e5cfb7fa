// The page in several languages and with the operator's branding, against
// a live collector started by tests/integration/test_page_i18n.py with
// page.language: de, reader_language: true, a logo, favicon, custom CSS,
// a pale brand colour, a dark-scheme accent, header and footer links, and
// a web_dir whose fr.json lacks "components_h".
//
//   BASE_URL=http://127.0.0.1:PORT/ node test_i18n.mjs
//
// Each reader's browser language is set through the context's locale
// (navigator.languages and Accept-Language). axe-core audits the German
// and the Japanese page in the light and the dark scheme.
import path from 'node:path';
import { launchBrowser, Checks, assert, isLoopback } from './test_page.mjs';
import { axeCheck } from './a11y.mjs';

const base = process.env.BASE_URL;
const art = process.env.ARTIFACT_DIR || '/tmp';
const TZ = 'Europe/Berlin';

function eq(a, b, what) {
  if (a !== b) throw new Error(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

// WCAG 2 contrast of two "#rrggbb" colours.
function contrast(a, b) {
  const lum = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
    .map((s) => (s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

async function open(browser, locale, extra = {}) {
  const context = await browser.newContext({
    locale, timezoneId: TZ, viewport: { width: 1280, height: 900 }, serviceWorkers: 'block', ...extra,
  });
  const page = await context.newPage();
  const seen = { requests: [], external: [], errors: [] };
  context.on('request', (r) => {
    seen.requests.push(r.url());
    if (!isLoopback(r.url())) seen.external.push(r.url());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  await page.goto(base, { waitUntil: 'load' });
  // Rendered, and the component is up (the agent reported).
  await page.locator('[data-component-id="api"][data-status="operational"]')
    .waitFor({ state: 'attached', timeout: 20000 });
  return { context, page, seen };
}

const text = async (page, sel) => (await page.locator(sel).first().textContent()).trim();
const cssVar = (page, name) => page.evaluate((n) =>
  getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);

async function german(c, browser) {
  const { context, page, seen } = await open(browser, 'de-DE');
  await c.run('de: the page is German (page.language and the reader agree)', async () => {
    eq(await page.evaluate(() => document.documentElement.lang), 'de', 'html lang');
    eq(await text(page, '#components-h'), 'Systemstatus', 'heading');
    eq(await text(page, '#status-text'), 'Alle Systeme funktionieren', 'banner');
    eq(await text(page, '[data-component-id="api"] .status'), 'Funktionsfähig', 'status');
    eq(await text(page, '#subscribe-h'), 'Benachrichtigungen erhalten', 'subscribe heading');
    eq(await text(page, '.skip'), 'Zum Inhalt springen', 'skip link');
    eq(await page.title(), 'Integration test – Status', 'title');
    eq(await page.locator('#subscribe-email').getAttribute('placeholder'), 'sie@beispiel.de', 'placeholder');
  });
  await c.run('de: dates, numbers and relative days come from Intl in German', async () => {
    const day = new Intl.DateTimeFormat('de-DE', {
      month: 'short', day: 'numeric', weekday: 'short', year: 'numeric', timeZone: TZ,
    }).format(new Date());
    eq(await text(page, '#incidents-past .day-h'), day, 'first past day');
    const pct = await text(page, '[data-component-id="api"] .uptime-meta .pct');
    assert(/^\d{1,3},\d\d\s%\sverfügbar$/.test(pct) || pct === 'Keine Daten', `uptime: ${pct}`);
    eq(await text(page, '[data-component-id="api"] .ago90'), 'vor 90 Tagen', '90 days ago');
    eq(await text(page, '[data-component-id="api"] .uptime-meta .today'), 'Heute', 'today');
    const foot = await text(page, '#last-updated');
    assert(/^Zuletzt aktualisiert: .+\. Geprüft um /.test(foot), `footer: ${foot}`);
    const bar = page.locator('[data-component-id="api"] .bar').last();
    const label = await bar.getAttribute('aria-label');
    const today = new Intl.DateTimeFormat('de-DE', { month: 'short', day: 'numeric', year: 'numeric' })
      .format(new Date());
    assert(label.startsWith(`${today}: `), `bar label: ${label} (want ${today})`);
  });
  await c.run('de: the whole German catalogue was enough (no English fetched)', async () => {
    assert(seen.requests.some((u) => u.endsWith('/i18n/de.json')), 'de.json not fetched');
    assert(!seen.requests.some((u) => u.endsWith('/i18n/en.json')), 'en.json fetched for a complete catalogue');
  });
  await c.run('branding: logo, favicon and custom CSS from pharos.yml, served from brand/', async () => {
    const logo = page.locator('#logo');
    assert(await logo.isVisible(), 'logo hidden');
    assert((await logo.getAttribute('src')).endsWith('/brand/logo.svg'), 'logo src');
    eq(await logo.getAttribute('alt'), 'Logo von Integration test', 'logo alt');
    const loaded = await logo.evaluate((i) => i.complete && i.naturalWidth > 0);
    assert(loaded, 'logo did not load');
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    assert(icon.endsWith('/brand/favicon.png'), `favicon: ${icon}`);
    const css = await page.locator('#brand-css').getAttribute('href');
    assert(css.endsWith('/brand/custom.css'), `css: ${css}`);
    // brand.css sets the header's top border to 6px (the page's is 4px).
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.top')).borderTopWidth === '6px',
      null, { timeout: 5000 });
  });
  await c.run('branding: a pale accent is darkened to WCAG AA for text and buttons', async () => {
    eq(await cssVar(page, '--brand'), '#f5c518', '--brand');
    const t = await cssVar(page, '--brand-text');
    const f = await cssVar(page, '--brand-fill');
    assert(contrast(t, '#ffffff') >= 4.5 && contrast(t, '#f6f7f9') >= 4.5, `--brand-text ${t}`);
    assert(contrast(f, '#ffffff') >= 4.5, `--brand-fill ${f}`);
    const d = await cssVar(page, '--brand-dark');
    assert(contrast(d, '#0e1116') >= 4.5 && contrast(d, '#161b22') >= 4.5, `--brand-dark ${d}`);
  });
  await c.run('branding: header and footer links, as text, only safe URLs', async () => {
    const head = await page.locator('#header-links a').evaluateAll((as) =>
      as.map((a) => [a.textContent, a.getAttribute('href')]));
    eq(JSON.stringify(head), JSON.stringify([['Hilfe & <Kontakt>', 'https://help.example.org/'],
      ['Blog', `${base}blog`]]), 'header links');
    const foot = await page.locator('#footer-links a').evaluateAll((as) =>
      as.map((a) => [a.textContent, a.getAttribute('href')]));
    eq(JSON.stringify(foot), JSON.stringify([['Impressum', 'mailto:legal@example.org']]), 'footer links');
    eq(await page.locator('#header-links').getAttribute('aria-label'), 'Links', 'nav label');
    eq(await page.locator('header b, footer b, header script').count(), 0, 'label parsed as markup');
  });
  await c.run('de: the sign-up form speaks German', async () => {
    await page.locator('#subscribe-email').fill('kein-email');
    await page.locator('#subscribe-form button').click();
    await page.waitForFunction(() => /gültige E-Mail-Adresse/.test(document.querySelector('#subscribe-msg').textContent),
      null, { timeout: 5000 });
    await page.locator('#subscribe-email').fill('leser@example.org');
    await page.locator('#subscribe-form button').click();
    await page.waitForFunction(() => /Fast geschafft/.test(document.querySelector('#subscribe-msg').textContent),
      null, { timeout: 10000 });
  });
  await c.run('de: an active incident: impact, update status and freshness line in German', async () => {
    const r = await fetch(`${base}v1/pages/${process.env.PAGE_ID}/incidents`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${process.env.API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: {
        name: 'API langsam', status: 'investigating', impact_override: 'minor',
        body: 'Wir sehen erhöhte Antwortzeiten.', next_update_in_minutes: 30,
      } }),
    });
    assert(r.status === 201, `POST incident -> HTTP ${r.status}`);
    const card = page.locator('#incidents-active article');
    for (let i = 0; i < 40 && !(await card.count()); i++) {
      await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await page.waitForTimeout(250);
    }
    eq(await text(page, '#incidents-active-h'), 'Aktuelle Störungen', 'heading');
    eq(await text(page, '#incidents-active .update .st'), 'Wird untersucht', 'update status');
    const fresh = await text(page, '#incidents-active .freshness');
    assert(/^Aktualisiert (vor weniger als einer Minute|vor \d+ Minuten?)\. Nächstes Update bis .+\.$/.test(fresh),
      `freshness: ${fresh}`);
  });
  await axeCheck(c, page, 'German page with branding');
  await page.screenshot({ path: path.join(art, 'page-de.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(art, 'page-de-dark.png'), fullPage: true });
  await c.run('de: no request left loopback, no script error', async () => {
    eq(seen.external.length, 0, `external: ${seen.external.join(' ')}`);
    eq(seen.errors.length, 0, `errors: ${seen.errors.join(' | ')}`);
  });
  await context.close();
}

async function japanese(c, browser) {
  const { context, page, seen } = await open(browser, 'ja-JP');
  await c.run('ja: the reader\'s language wins (reader_language: true)', async () => {
    eq(await page.evaluate(() => document.documentElement.lang), 'ja', 'html lang');
    eq(await text(page, '#components-h'), 'システムステータス', 'heading');
    eq(await text(page, '#status-text'), 'すべてのシステムが正常に稼働しています', 'banner');
    eq(await text(page, '[data-component-id="api"] .status'), '正常', 'status');
    const day = new Intl.DateTimeFormat('ja-JP', {
      month: 'short', day: 'numeric', weekday: 'short', year: 'numeric', timeZone: TZ,
    }).format(new Date());
    eq(await text(page, '#incidents-past .day-h'), day, 'first past day');
    eq(await text(page, '[data-component-id="api"] .ago90'), '90 日前', '90 days ago');
    eq(await page.locator('#header-links a').count(), 2, 'links kept');
    assert(!seen.requests.some((u) => u.endsWith('/i18n/en.json')), 'en.json fetched');
    eq(seen.external.length, 0, 'external requests');
  });
  await axeCheck(c, page, 'Japanese page');
  await page.screenshot({ path: path.join(art, 'page-ja.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await c.run('ja: 375 px wide, no horizontal scroll with header links', async () => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 375, `scrollWidth ${w}`);
  });
  await context.close();
}

async function fallbacks(c, browser) {
  {
    const { context, page, seen } = await open(browser, 'fr-FR');
    await c.run('fr: a string fr.json lacks is shown in English, the rest in French', async () => {
      eq(await page.evaluate(() => document.documentElement.lang), 'fr', 'html lang');
      await page.waitForFunction(() => document.querySelector('#components-h').textContent === 'System status',
        null, { timeout: 5000 });
      eq(await text(page, '#status-text'), 'Tous les systèmes sont opérationnels', 'banner');
      eq(await text(page, '#past-h, #incidents-past-h'), 'Incidents passés', 'heading');
      assert(seen.requests.some((u) => u.endsWith('/i18n/en.json')), 'English not fetched');
    });
    await context.close();
  }
  {
    const { context, page } = await open(browser, 'nl-NL');
    await c.run('nl: a language not shipped gets page.language (de)', async () => {
      eq(await page.evaluate(() => document.documentElement.lang), 'de', 'html lang');
      eq(await text(page, '#components-h'), 'Systemstatus', 'heading');
    });
    await context.close();
  }
}

async function main() {
  if (!base || !isLoopback(base)) throw new Error('BASE_URL must be a loopback URL');
  const c = new Checks();
  const { browser, close } = await launchBrowser();
  try {
    await german(c, browser);
    await japanese(c, browser);
    await fallbacks(c, browser);
  } finally {
    await close();
  }
  console.log(`${c.passed} passed, ${c.failed} failed`);
  process.exit(c.failed || !c.passed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
