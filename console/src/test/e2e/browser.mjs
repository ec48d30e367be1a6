// Debian's headless Chromium as the end-to-end tests drive it: a fresh profile, no network services
// of its own, never a downloaded browser; the page's errors and CSP refusals collected.
import { chromium } from 'playwright-core';

/** Opens `profile` in Chromium; `problems` collects page errors and refused loads. */
export async function launch(profile, timeout) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(timeout);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  return { context, page, problems };
}
