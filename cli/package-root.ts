// Where corral's own files are: its package directory, found by walking up from this module to
// corral's package.json. The answer is the same wherever the code runs from: the sources (under
// vitest), tsc's dist/ tree, or the bundled dist/cli/main.js (cli/bundle.mjs), whose modules no
// longer sit at their sources' depths; so nothing locates a file relative to its own module.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name?: string;
  version?: string;
}

let found: { directory: string; manifest: Manifest } | null | undefined;

function corralPackage(): { directory: string; manifest: Manifest } | null {
  if (found !== undefined) return found;
  let directory = dirname(fileURLToPath(import.meta.url));
  // Bounded by the path's depth: each step goes one directory up, and the root is its own parent.
  for (;;) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as Manifest;
      if (manifest.name === 'corral') return (found = { directory, manifest });
    }
    const parent = dirname(directory);
    if (parent === directory) return (found = null);
    directory = parent;
  }
}

/** corral's version, as its package.json names it; 'unknown' outside its package. */
export function corralVersion(): string {
  return corralPackage()?.manifest.version ?? 'unknown';
}

/** A path under corral's package directory; throws outside it (nothing could be found). */
export function packagePath(...segments: string[]): string {
  const root = corralPackage();
  if (root === null) throw new Error('corral: its package.json was not found above its modules');
  return join(root.directory, ...segments);
}

/** The `corral` executable every replica process runs: the built dist/cli/main.js, whether the
 * code asking runs from dist/ or from source (tests start built servers). */
export function corralMain(): string {
  return packagePath('dist', 'cli', 'main.js');
}
