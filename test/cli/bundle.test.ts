// The built `corral` executable is the bundle cli/bundle.mjs writes (one file of corral's own
// modules), not tsc's main.js importing three hundred others; and it runs. A server's startup
// and heap depend on both properties, and an incremental tsc or a changed build script could
// silently undo either.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import { optionalFeaturePackages } from '../support/optional-packages.js';

const main = join(projectRoot, 'dist', 'cli', 'main.js');

/** Every module specifier a static import or export of `source` names. */
function importedSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\b(?:import|export)\s*[^'"();]*?from\s*["']([^"']+)["']/g)) {
    found.push(match[1]!);
  }
  return found;
}

describe('the bundled corral executable', () => {
  const source = readFileSync(main, 'utf8');

  it('imports only Node built-ins and npm packages, none of corral\'s own modules', () => {
    const specifiers = importedSpecifiers(source);
    expect(specifiers).toContain('lmdb');
    expect(specifiers.filter((specifier) => specifier.startsWith('.'))).toEqual([]);
  });

  // A bundle hoists every static import of a package to its top, even one made only by a module
  // reached through a dynamic import(): a package an optional feature needs is loaded where it
  // is used (test/cli/server-imports.test.ts checks the sources).
  it('loads no package only an optional feature needs at startup', () => {
    const specifiers = importedSpecifiers(source);
    for (const name of optionalFeaturePackages) {
      expect(specifiers, name).not.toContain(name);
    }
  });

  it('is ASCII only, so V8 holds its source in one byte a character', () => {
    expect(/[^\x00-\x7f]/.test(source)).toBe(false);
  });

  it('does not rename functions at run time (esbuild keepNames, a cost on every closure made)',
    () => {
      expect(source).not.toMatch(/\b__name\(/);
    });

  // (The dashboard's page, found the same way, is served by the bundle in test/dashboard/.)
  it('finds its package from where it is: --version prints package.json\'s', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = spawnSync(process.execPath, [main, '--version'], {
      encoding: 'utf8', timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(manifest.version);
  });
});
