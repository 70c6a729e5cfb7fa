// The page against a live collector: every generic check of
// test_page.mjs, plus a state change made through the management API
// showing up on the page, and feed text (a component named with HTML)
// rendered as text.
//
//   BASE_URL=http://127.0.0.1:PORT/ API_KEY=... PAGE_ID=... node test_live.mjs
import { runPageTests, assert } from './test_page.mjs';

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

async function extraChecks({ checks, page, options }) {
  const base = options.baseUrl;
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
    // The page refreshes every 30 s and when it becomes visible again.
    await page.waitForTimeout(1200);
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.locator('[data-component-id="api"][data-status="major_outage"]')
      .first().waitFor({ state: 'attached', timeout: 10000 });
    const ind = await page.locator('#status-banner').getAttribute('data-indicator');
    assert(ind !== 'none', `banner indicator still ${ind}`);
    await patchStatus(base, 'api', null);
  });
}

let c;
try {
  c = await runPageTests({ extraChecks, expectFixture: false });
} catch (e) {
  console.log(`not ok - test run aborted: ${e && e.stack ? e.stack : e}`);
  c = { passed: 0, failed: 1 };
}
console.log(`${c.passed} passed, ${c.failed} failed`);
process.exitCode = c.failed ? 1 : 0;
