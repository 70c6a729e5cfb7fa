// The response-time chart (web/latency.js) against a live collector that
// holds response times of two regions: opened from the keyboard, drawn as
// inline SVG with a text alternative, the region selector switches the
// series, the table alternative lists the points, the page makes no
// request off loopback, it fits a phone's width (redrawn at that width), and axe-core finds
// nothing with the chart open in light and dark mode.
//
//   BASE_URL=http://127.0.0.1:PORT/ COMPONENT=web REGIONS=eu,us node test_latency.mjs
import { launchBrowser, Checks, assert, isLoopback } from './test_page.mjs';
import { axeCheck } from './a11y.mjs';

const base = process.env.BASE_URL;
const comp = process.env.COMPONENT || 'web';
const regions = (process.env.REGIONS || 'eu,us').split(',');

async function main() {
  const checks = new Checks();
  const { browser, close } = await launchBrowser();
  const offHost = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    page.on('request', (r) => { if (!isLoopback(r.url())) offHost.push(r.url()); });
    await page.goto(base, { waitUntil: 'load' });
    const item = page.locator(`li[data-component-id="${comp}"]`).first();
    const details = item.locator('details.latency');
    const summary = details.locator('summary').first();

    await checks.run('each component with checks has a closed "Response time" disclosure', async () => {
      await details.waitFor({ timeout: 15000 });
      assert(!(await details.evaluate((d) => d.open)), 'open before asked');
      const t = await summary.textContent();
      assert(/Response time/.test(t), `summary: ${t}`);
    });
    await checks.run('Enter on the focused summary opens it and draws the chart', async () => {
      await summary.focus();
      await page.keyboard.press('Enter');
      await details.locator('svg.lat-svg path.lat-p50').waitFor({ timeout: 10000 });
      const d = await details.locator('path.lat-p50').getAttribute('d');
      assert(/^M[\d.]+ [\d.]+/.test(d), `p50 path: ${d}`);
      assert(await details.locator('path.lat-p95').count() === 1, 'no p95 line');
    });
    await checks.run('the chart has a text alternative naming the region and figures', async () => {
      const svg = details.locator('svg.lat-svg');
      eq(await svg.getAttribute('role'), 'img', 'role');
      const label = await svg.getAttribute('aria-label');
      assert(label.includes('median') && label.includes('ms'), `label: ${label}`);
    });
    let first = '';
    await checks.run('the region selector lists every region with data and is labelled', async () => {
      const sel = details.locator('select');
      const opts = await sel.locator('option').allTextContents();
      eq(opts.length, regions.length, `options ${opts}`);
      const id = await sel.getAttribute('id');
      const lab = await details.locator(`label[for="${id}"]`).textContent();
      assert(lab.length > 0, 'no label');
      first = await details.locator('svg.lat-svg').getAttribute('aria-label');
    });
    await checks.run('choosing another region from the keyboard redraws for that region', async () => {
      const sel = details.locator('select');
      await sel.focus();
      const values = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value));
      await sel.selectOption(values[1]);
      await page.waitForFunction((f) => {
        const s = document.querySelector('details.latency[open] svg.lat-svg');
        return s && s.getAttribute('aria-label') !== f;
      }, first, { timeout: 5000 });
      const label = await details.locator('svg.lat-svg').getAttribute('aria-label');
      assert(label.includes(regions[1]), `label after the switch: ${label}`);
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
      eq(focused, 'SELECT', 'focus stays on the selector');
    });
    await checks.run('the table alternative lists the points with headers', async () => {
      const more = details.locator('details.lat-more');
      await more.locator('summary').click();
      // The table is filled when the disclosure opens: wait for it.
      await more.locator('tbody tr').first().waitFor({ timeout: 5000 })
        .catch(() => {});
      const rows = await more.locator('tbody tr').count();
      assert(rows > 0, 'no rows');
      eq(await more.locator('thead th[scope="col"]').count(), 4, 'column headers');
    });
    await axeCheck(checks, page, 'response-time chart open');
    await checks.run('on a phone (375 px) the chart fits without horizontal scrolling', async () => {
      await page.setViewportSize({ width: 375, height: 800 });
      // Redrawn for the new width: the viewBox is in CSS pixels again.
      await page.waitForFunction(() => {
        const s = document.querySelector('details.latency[open] svg.lat-svg');
        return s && Math.abs(s.viewBox.baseVal.width - s.getBoundingClientRect().width) < 2;
      }, null, { timeout: 5000 });
      const box = await details.locator('svg.lat-svg').boundingBox();
      assert(box && box.width <= 375 && box.width > 200, `svg box ${JSON.stringify(box)}`);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(over <= 0, `page scrolls sideways by ${over}px`);
      await page.screenshot({ path: `${process.env.ARTIFACT_DIR || '/tmp'}/latency-phone.png`, fullPage: false });
    });
    await checks.run('no request left loopback (no library or font from another host)', async () => {
      assert(offHost.length === 0, offHost.join(', '));
    });
  } finally {
    await close();
  }
  console.log(`${checks.passed} passed, ${checks.failed} failed`);
  process.exit(checks.failed === 0 && checks.passed > 0 ? 0 : 1);
}

function eq(a, b, what) {
  if (a !== b) throw new Error(`${what}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
