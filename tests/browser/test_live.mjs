// The page against a live collector: every generic check of
// test_page.mjs, plus a state change made through the management API
// showing up on the page, and feed text (a component named with HTML)
// rendered as text. axe-core audits the page (light and dark) in each
// state the checks bring it to: all operational, an active incident,
// a scheduled maintenance, a sign-up answered, a sign-up refused by the
// collector's rate limit (429), a major outage.
//
//   BASE_URL=http://127.0.0.1:PORT/ API_KEY=... PAGE_ID=... node test_live.mjs
import { runPageTests, assert } from './test_page.mjs';
import { axeCheck } from './a11y.mjs';

const key = process.env.API_KEY;
const pageId = process.env.PAGE_ID;

async function patchStatus(base, component, status) {
  const r = await fetch(`${base}v1/pages/${pageId}/components/${component}`, {
    method: 'PATCH',
    headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ component: { status } }),
  });
  assert(r.status === 200, `PATCH ${component} -> HTTP ${r.status}`);
}

async function postIncident(base, incident) {
  const r = await fetch(`${base}v1/pages/${pageId}/incidents`, {
    method: 'POST',
    headers: { Authorization: `OAuth ${key}` },   // JSON without Content-Type
    body: JSON.stringify({ incident }),
  });
  assert(r.status === 201, `POST incident -> HTTP ${r.status}`);
  return r.json();
}

// The page refreshes every 30 s and when it becomes visible again; the
// collector publishes a change a moment after the API call. So make the
// page refresh until `locator` is there (or 10 s have passed).
async function refreshUntil(page, locator, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    try {
      await locator.first().waitFor({ state: 'attached', timeout: 300 });
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
  }
}

async function extraChecks({ checks, page, options }) {
  const base = options.baseUrl;
  await page.locator('[data-component-id="api"][data-status="operational"]')
    .first().waitFor({ state: 'attached', timeout: 10000 }).catch(() => {});
  await axeCheck(checks, page, 'live: all operational');
  await checks.run('live: an incident made through the API shows with its timeline, as text', async () => {
    const inc = await postIncident(base, {
      name: 'Checkout <b>errors</b>',
      status: 'investigating',
      body: 'We see <script>window.pwned=1</script> failures & retries.',
      components: { web: 'partial_outage' },
    });
    const r = await fetch(`${base}v1/pages/${pageId}/incidents/${inc.id}`, {
      method: 'PATCH',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'incident[status]=identified&incident[body]=Found+it',
    });
    assert(r.status === 200, `PATCH incident -> HTTP ${r.status}`);
    const card = page.locator(`#incidents-active #incident-${inc.id}`);
    await refreshUntil(page, card);
    const text = await card.textContent();
    assert(text.includes('Checkout <b>errors</b>'), `name rendered as ${text}`);
    assert(text.includes('<script>window.pwned=1</script> failures & retries.'), `body rendered as ${text}`);
    assert(text.indexOf('Found it') < text.indexOf('window.pwned'), 'updates not newest first');
    const injected = await page.evaluate(() => [
      document.querySelectorAll('#incidents-active script, #incidents-active b').length,
      window.pwned === undefined ? 0 : 1]);
    assert(injected[0] === 0 && injected[1] === 0, `incident text became markup: ${injected}`);
    const anchors = await page.evaluate((id) => document.querySelectorAll(`[id="incident-${id}"]`).length, inc.id);
    assert(anchors === 1, `#incident-${inc.id} is on ${anchors} elements (shortlink target must be unique)`);
    const ind = await page.locator('#status-banner').getAttribute('data-indicator');
    assert(ind !== 'none', `banner indicator ${ind} with web in partial outage`);
    await page.screenshot({ path: `${process.env.ARTIFACT_DIR || '.'}/live-incident.png`, fullPage: true });
  });
  await axeCheck(checks, page, 'live: active incident');
  await checks.run('live: a scheduled maintenance shows as upcoming', async () => {
    const from = new Date(Date.now() + 3600e3).toISOString();
    const until = new Date(Date.now() + 7200e3).toISOString();
    const m = await postIncident(base, {
      name: 'Database upgrade', status: 'scheduled', scheduled_for: from,
      scheduled_until: until, body: 'Planned work.', component_ids: ['api'],
    });
    const card = page.locator(`#maintenance [data-maintenance-id="${m.id}"]`);
    await refreshUntil(page, card);
    const text = await card.textContent();
    assert(text.includes('Database upgrade'), `maintenance card: ${text}`);
  });
  await axeCheck(checks, page, 'live: scheduled maintenance');
  // The collector allows SUBSCRIBE_BURST sign-ups from one address
  // (notify.subscribe_burst, refilled hourly): these are the page's only
  // ones, so the first SUBSCRIBE_BURST are accepted and the next is its
  // 429. The page must show the collector's own message each time.
  const burst = Number(process.env.SUBSCRIBE_BURST);
  assert(burst >= 1, `SUBSCRIBE_BURST=${process.env.SUBSCRIBE_BURST}`);
  const signUp = async (email) => {
    await page.fill('#subscribe-form input[name="email"]', email);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v2/subscribers.json')
        && r.request().method() === 'POST', { timeout: 10000 }),
      page.click('#subscribe-form button'),
    ]);
    const body = await resp.json();
    const msg = page.locator('#subscribe-msg');
    await page.waitForFunction((m) => document.querySelector('#subscribe-msg')
      .textContent === m, body.message, { timeout: 5000 });
    return { status: resp.status(), body, headers: resp.headers(),
             kind: await msg.getAttribute('data-kind') };
  };
  await checks.run('live: subscribing from the page asks to confirm by email', async () => {
    for (let i = 0; i < burst; i++) {
      const email = i === 0 ? 'reader@example.org' : `reader${i}@example.org`;
      const r = await signUp(email);
      assert(r.status === 202 && r.kind === 'ok', `sign-up ${i + 1}: HTTP ${r.status}, ${r.kind}`);
      assert(/confirm/i.test(r.body.message), `subscribe message: ${r.body.message}`);
    }
  });
  await axeCheck(checks, page, 'live: sign-up answered');
  await checks.run('live: the sign-up after the burst shows the collector\'s 429', async () => {
    const r = await signUp('one-too-many@example.org');
    assert(r.status === 429, `HTTP ${r.status}`);
    assert(Number(r.headers['retry-after']) > 0, `Retry-After ${r.headers['retry-after']}`);
    assert(r.kind === 'error', `message kind ${r.kind}`);
    assert(/too many/i.test(r.body.message), `429 message: ${r.body.message}`);
    assert(await page.locator('#subscribe-form button').isEnabled(), 'button left disabled');
  });
  await axeCheck(checks, page, 'live: sign-up refused (429)');
  await checks.run('live: probed component shown operational', async () => {
    await page.locator('[data-component-id="api"][data-status="operational"]')
      .first().waitFor({ state: 'attached', timeout: 10000 });
  });
  await checks.run('live: HTML in feed text is shown as text', async () => {
    const el = page.locator('[data-component-id="xss"] .comp-name').first();
    const text = await el.textContent();
    assert(text.includes('<script>alert(1)</script>'), `name rendered as ${text}`);
    const injected = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#components script, #components b')).length);
    assert(injected === 0, 'feed text became markup');
  });
  await checks.run('live: a status change reaches the page', async () => {
    await patchStatus(base, 'api', 'major_outage');
    await refreshUntil(page,
      page.locator('[data-component-id="api"][data-status="major_outage"]'));
    const ind = await page.locator('#status-banner').getAttribute('data-indicator');
    assert(ind !== 'none', `banner indicator still ${ind}`);
  });
  await axeCheck(checks, page, 'live: major outage');
  await checks.run('live: the status override clears', () => patchStatus(base, 'api', null));
}

let c;
try {
  c = await runPageTests({ extraChecks, expectFixture: false });
} catch (e) {
  console.log(`not ok - test run aborted: ${e && e.stack ? e.stack : e}`);
  c = { passed: 0, failed: 1 };
}
if (c.passed + c.failed === 0) {
  console.log('not ok - no check ran');
  c.failed = 1;
}
console.log(`${c.passed} passed, ${c.failed} failed`);
process.exitCode = c.failed ? 1 : 0;
