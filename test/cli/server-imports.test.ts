// What `corral server` loads at startup: the modules reached from cli/main.ts by static imports
// (type-only imports and dynamic import() excluded, as Node skips them until run). Every module
// loaded stays in a server's heap for its whole life, so the tool subcommands' code (simulator,
// chaos, shell, dashboard, benchmarks) and packages only an optional feature needs (--inspect's
// bridge, PKCS12/JKS stores, the Prometheus endpoint) must stay behind a dynamic import or a
// require on first use.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { optionalFeaturePackages } from '../support/optional-packages.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The specifiers `file` imports at load time (not `import type`, not `import()`). */
function staticImportsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: string[] = [];
  for (const statement of source.statements) {
    const isImport = ts.isImportDeclaration(statement) &&
      statement.importClause?.isTypeOnly !== true;
    const isExport = ts.isExportDeclaration(statement) && !statement.isTypeOnly;
    if (!isImport && !isExport) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
    // `import { type A, type B } from …` is erased too when every name is type-only.
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    const bindings = clause?.namedBindings;
    const allTypes = bindings !== undefined && ts.isNamedImports(bindings) &&
      clause?.name === undefined && bindings.elements.length > 0 &&
      bindings.elements.every((element) => element.isTypeOnly);
    if (!allTypes) found.push(specifier.text);
  }
  return found;
}

/** Repository-relative source files and bare package names reached from `entry`. */
function loadedAtStartup(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.join(repositoryRoot, entry)];
  // Bounded by the number of source files: each is visited once.
  while (pending.length > 0) {
    const file = pending.pop()!;
    const relative = path.relative(repositoryRoot, file);
    if (files.has(relative)) continue;
    files.add(relative);
    for (const specifier of staticImportsOf(file)) {
      if (specifier.startsWith('node:')) continue;
      if (!specifier.startsWith('.')) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
        continue;
      }
      const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
      if (existsSync(target)) pending.push(target);
    }
  }
  return { files, packages };
}

describe('corral server startup imports', () => {
  const { files, packages } = loadedAtStartup('cli/main.ts');

  it('reaches the server itself', () => {
    expect(files).toContain('cli/server-command.ts');
    expect(files).toContain('actors/server/server.ts');
    expect(files).toContain('tree/data-tree.ts');
    expect(packages).toContain('lmdb');
  });

  it('leaves the tool subcommands and benchmarks unloaded', () => {
    const tools = [...files].filter((file) =>
      /^(sim|bench|dashboard)\//.test(file) ||
      /^cli\/(tool-commands|sim-command|chaos-command|ensemble-command|backup-command)\.ts$/
        .test(file) ||
      /^cli\/(shell|chaos|dashboard)\//.test(file));
    expect(tools).toEqual([]);
  });

  it('leaves packages only optional features need unloaded', () => {
    for (const name of optionalFeaturePackages) {
      expect(packages, name).not.toContain(name);
    }
  });

  it('loads the ensemble replica only for an ensemble', () => {
    // A standalone restart never needs it: its modules are not on the way to serving. (The
    // admin server's are: it starts in the turn the client port opens, with nothing imported in
    // between, so a client that finds one port finds the other.)
    expect(files).not.toContain('actors/replica/tcp-world.ts');
    expect(files).toContain('actors/operations/admin-server.ts');
  });
});
