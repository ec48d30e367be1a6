// The login form of a console on a cluster (console-server, kubeless.console.auth=token), in a real
// headless Chromium:
//   node login.e2e.mjs <console URL> <token> <function shown once logged in> <output dir> <profile dir>
// The page asks for the token, refuses a wrong one, logs in with the right one (an HttpOnly cookie
// the page cannot read), shows the functions, and stays logged in across a reload. axe-core checks
// the form; a screenshot of each step goes to <output dir>. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import axe from 'axe-core';

const [url, token, fn, out, profile] = process.argv.slice(2);
assert.ok(url && token && fn && out && profile, 'usage: login.e2e.mjs <URL> <token> <function> <out> <profile>');
mkdirSync(out, { recursive: true });

const { context, page, problems } = await launch(profile, 30_000);
const heading = (name) => page.getByRole('heading', { level: 1, name });

try {
  await page.goto(url);
  await heading('Log in').waitFor();
  await page.screenshot({ path: join(out, 'login.png'), fullPage: true });
  await page.evaluate(axe.source);
  const audit = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }),
  );
  assert.deepEqual(
    audit.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    [],
    'accessibility of the login form',
  );

  await page.getByLabel('Token').fill('not-the-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'not the console' }).waitFor();

  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await heading('Functions').waitFor();
  await page.getByRole('rowheader', { name: fn }).waitFor();
  await page.screenshot({ path: join(out, 'functions.png'), fullPage: true });
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'kubeless-console');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the cookie');

  await page.reload();
  await heading('Functions').waitFor();
  await page.getByRole('rowheader', { name: fn }).waitFor();
  assert.deepEqual(problems, []);
  console.log('login: refused a wrong token, logged in, stayed logged in');
} finally {
  await context.close();
}
