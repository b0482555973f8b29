// Bundles the `corral` executable: dist/cli/main.js, written over tsc's, becomes corral's own
// modules in one file. Node then loads
// one module at startup instead of some three hundred, which takes about a third of the CPU
// time off every process start (a restart, each replica of `corral ensemble`, every server a
// test starts). npm packages stay outside the bundle, loaded from node_modules as before: the
// native ones (lmdb, snappy, koffi, @node-rs/crc32) must, and the rest gain little.
//
// What runs only on use stays so: a module reached by a dynamic import() (the tool subcommands,
// which a server never runs) is in the file but runs only once imported, and a require on first
// use is left as it is. One file, not a chunk per dynamic import: chunks are imported ahead of
// the entry's own code, and cli/server-heap.ts must run before any other module.
// Nothing in corral finds a file relative to its own module (cli/package-root.ts), since the
// bundle's modules do not sit where their sources do.
// `npm run build` runs this after tsc.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'cli');

await esbuild.build({
  entryPoints: { main: path.join(root, 'cli', 'main.ts') },
  outdir: outDir,
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  packages: 'external',
  // No keepNames: it wraps every function and closure in a call that redefines its `name`,
  // and closures made per request paid that on the write path (about 7% of a standalone
  // server's busy CPU under creates, profiled). Names stay as written, V8 infers `X = class {}`
  // as X, and only a top-level name two modules share is renamed apart (applyWrite2 in a stack
  // trace; the source map names the original). Nothing in corral reads a renamed `name`.
  keepNames: false,
  // `node --enable-source-maps dist/cli/main.js …` reports stack traces at the sources' lines.
  sourcemap: 'linked',
  // Without comments, which may hold non-ASCII text: V8 keeps an ASCII script's source in one
  // byte a character, a script with any other character in two (3.4 MB instead of 1.7 MB, in
  // every server's heap for its life). Identifiers are not minified: stack traces still read.
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
});
