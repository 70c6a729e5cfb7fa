// The sign-in of a private page (page.access: password) in chromium:
// the page sends a reader without a session to the form, a wrong
// password is refused on the form, the right one opens the page with its
// components (internal ones included) and sets an HttpOnly cookie that
// scripts cannot read, and signing out (the cookie gone) brings the
// form back. axe-core audits the form.
//
//   BASE_URL=http://127.0.0.1:PORT/ PAGE_PASSWORD=... node test_login.mjs
import { launchBrowser, Checks, assert } from './test_page.mjs';
import { axeCheck } from './a11y.mjs';

const base = process.env.BASE_URL;
const password = process.env.PAGE_PASSWORD;

async function main() {
  const checks = new Checks();
  const { browser, close } = await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await checks.run('a reader without a session lands on the sign-in form', async () => {
      await page.goto(base, { waitUntil: 'load' });
      assert(new URL(page.url()).pathname === '/login', `at ${page.url()}`);
      await page.locator('input[type="password"]').waitFor({ timeout: 5000 });
    });
    await axeCheck(checks, page, 'sign-in form');
    await checks.run('a wrong password is refused on the form', async () => {
      await page.fill('input[type="password"]', 'not the password');
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      const msg = await page.locator('[role="alert"]').textContent();
      assert(/wrong password/i.test(msg), `message: ${msg}`);
    });
    await checks.run('the right password opens the page with its components', async () => {
      await page.fill('input[type="password"]', password);
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      assert(new URL(page.url()).pathname === '/', `at ${page.url()}`);
      await page.locator('[data-component-id="api"]').first().waitFor({ timeout: 10000 });
      await page.locator('[data-component-id="db"]').first().waitFor({ timeout: 10000 });
    });
    await checks.run('the session cookie is HttpOnly (scripts cannot read it)', async () => {
      const seen = await page.evaluate(() => document.cookie);
      assert(!seen.includes('pharos_session'), `document.cookie: ${seen}`);
      const cookies = await context.cookies();
      const c = cookies.find((k) => k.name === 'pharos_session');
      assert(c && c.httpOnly && c.sameSite === 'Lax', JSON.stringify(c));
    });
    await checks.run('without the cookie the form comes back', async () => {
      await context.clearCookies();
      await page.goto(base, { waitUntil: 'load' });
      assert(new URL(page.url()).pathname === '/login', `at ${page.url()}`);
    });
  } finally {
    await close();
  }
  console.log(`${checks.passed} passed, ${checks.failed} failed`);
  process.exit(checks.failed === 0 && checks.passed > 0 ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
