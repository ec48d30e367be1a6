// Builds the console into the directory given (the module's classes, META-INF/resources/console):
// `npm ci` when package-lock.json is newer than the last install, then one esbuild bundle with
// hashed names (cached for a year by the server) and an index.html naming them (never cached).
// Nothing is done when the output is newer than every source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const out = process.argv[2] ?? 'target/classes/META-INF/resources/console';
const here = import.meta.dirname;
const src = join(here, 'src/main/web');

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : mtime(join(dir, e.name))),
    0,
  );

const lock = join(here, 'package-lock.json');
const installed = join(here, 'node_modules/.package-lock.json');
if (mtime(installed) < mtime(lock)) {
  console.log('[console] npm ci');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}

const stamp = join(out, 'index.html');
const inputs = Math.max(newest(src), mtime(lock), mtime(join(here, 'build.mjs')));
if (mtime(stamp) > inputs) {
  console.log('[console] up to date: ' + relative(process.cwd(), out));
  process.exit(0);
}

const esbuild = await import('esbuild');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: { app: join(src, 'app.js'), style: join(src, 'style.css') },
  bundle: true,
  minify: process.env.CONSOLE_MINIFY !== 'false',
  sourcemap: false,
  format: 'esm',
  target: 'es2022',
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const names = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint && !file.endsWith('.map')) {
    names[file.endsWith('.css') ? 'css' : 'js'] = relative(out, file);
  }
}
const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace('%APP_JS%', names.js)
  .replace('%STYLE_CSS%', names.css);
writeFileSync(stamp, html);
console.log(`[console] built ${names.js}, ${names.css} into ${relative(process.cwd(), out)}`);
