// Bundles the dashboard's page into dist/dashboard/ (index.html, assets/app.js, assets/app.css)
// with esbuild: every dependency is in the bundle, so the page fetches nothing from elsewhere.
// `npm run build` runs it after tsc; `node dashboard/build.mjs --watch` rebuilds while editing.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', 'dist', 'dashboard');
const watch = process.argv.includes('--watch');

await mkdir(path.join(outDir, 'assets'), { recursive: true });
await copyFile(path.join(here, 'index.html'), path.join(outDir, 'index.html'));

const options = {
  // main.ts imports app.css: esbuild writes it beside the script as assets/app.css.
  entryPoints: { app: path.join(here, 'ui', 'main.ts') },
  outdir: path.join(outDir, 'assets'),
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  minify: !watch,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
