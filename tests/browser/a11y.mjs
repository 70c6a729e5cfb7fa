// Accessibility audit of whatever the page shows right now, with axe-core
// (pinned in package.json) injected by playwright: WCAG 2.0/2.1 A and AA
// plus axe's best practices, in the light and the dark colour scheme.
//
//   import { axeAudit, axeCheck } from './a11y.mjs';
//   await axeCheck(checks, page, 'all operational');   // two named checks
//
// The page is served as is: axe is evaluated through the DevTools
// protocol, which a Content-Security-Policy does not block.

import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
export const SCHEMES = ['light', 'dark'];

// Violations on the page in one colour scheme, each as
// { id, impact, help, targets: [css selector, ...] }. The scheme is
// emulated on the page and left that way; reducedMotion keeps colour
// transitions from being sampled half-way.
export async function axeAudit(page, colorScheme) {
  await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
      summary: v.nodes.length ? v.nodes[0].failureSummary : '',
    }));
  }, AXE_TAGS);
  return result;
}

export function formatViolations(vs) {
  return vs.map((v) => `${v.id} (${v.impact}) ${v.help}: ${v.targets.slice(0, 6).join(', ')}`
    + (v.targets.length > 6 ? ` (+${v.targets.length - 6} more)` : '')
    + (v.summary ? ` [${v.summary.replace(/\s+/g, ' ').slice(0, 160)}]` : '')).join('; ');
}

// One check per colour scheme, named "a11y: <state> (<scheme>)"; a failure
// lists every violation's id, impact and targets. The page is back in the
// light scheme afterwards.
export async function axeCheck(checks, page, state) {
  for (const scheme of SCHEMES) {
    await checks.run(`a11y: ${state} (${scheme})`, async () => {
      const vs = await axeAudit(page, scheme);
      if (vs.length) throw new Error(`${vs.length} axe violation(s): ${formatViolations(vs)}`);
    });
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: null });
}
