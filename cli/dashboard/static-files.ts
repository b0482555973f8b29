// The page's files: index.html and the bundled assets `npm run build` writes to dist/dashboard/.
// Only those two places are served, by exact name, and every answer forbids the page to fetch
// anything from another origin (Content-Security-Policy), so nothing leaves the machine.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { packagePath } from '../package-root.js';

/** The built page, dist/dashboard/, whether the server runs from dist/ or from source. */
export function pageDirectory(): string {
  return packagePath('dist', 'dashboard');
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Headers every answer of the dashboard carries. */
export const securityHeaders: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; " +
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Shown when the page has not been built, so the operator knows what to run. */
const unbuiltPage = `<!doctype html><html><head><meta charset="utf-8"><title>corral dashboard` +
  `</title></head><body><h1>corral dashboard</h1><p>The page is not built: run ` +
  `<code>npm run build</code>. Its API is served: <a href="/api/info">/api/info</a>.</p>` +
  `</body></html>\n`;

/** Asset names are the bundler's plain file names: no directories, no dot files. */
const assetNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Answers GET / and /assets/<file>; false when `path` is neither (the caller sends 404). */
export function serveStatic(directory: string, path: string, response: ServerResponse,
  headOnly: boolean): boolean {
  let file: string;
  if (path === '/' || path === '/index.html') {
    file = join(directory, 'index.html');
    if (!existsSync(file)) {
      response.writeHead(200, { ...securityHeaders, 'Content-Type': contentTypes['.html']! });
      response.end(headOnly ? undefined : unbuiltPage);
      return true;
    }
  } else if (path.startsWith('/assets/')) {
    const name = path.slice('/assets/'.length);
    if (!assetNamePattern.test(name)) return false;
    file = join(directory, 'assets', name);
  } else {
    return false;
  }
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return false;
    size = stat.size;
  } catch {
    return false;
  }
  response.writeHead(200, {
    ...securityHeaders,
    'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-cache',
  });
  if (headOnly) response.end();
  else createReadStream(file).on('error', () => response.destroy()).pipe(response);
  return true;
}
