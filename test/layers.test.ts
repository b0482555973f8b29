// The direction of imports between corral's folders, as DESIGN.md's layer table gives it: every
// source file is parsed (type-only imports count too) and each relative import that leaves its
// folder must reach a folder that folder may import. Finer rules for machines/ (no I/O, no time,
// no randomness) are test/machines/purity.test.ts's.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** DESIGN.md's "Layers and the direction of imports": what each folder may import. */
const mayImport: Readonly<Record<string, readonly string[] | 'anything'>> = {
  protocol: [],
  tree: ['protocol'],
  machines: ['protocol'],
  storage: ['protocol', 'tree'],
  transport: ['protocol'],
  actors: ['protocol', 'tree', 'machines', 'storage', 'transport'],
  client: ['protocol', 'machines', 'transport'],
  sim: ['protocol', 'tree', 'machines', 'storage', 'transport', 'actors', 'client'],
  cli: 'anything',
  bench: ['client', 'cli'],
  examples: ['client'],
  dashboard: ['protocol'],
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteral(argument)) found.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top-level folder a relative import from `file` lands in. */
function folderOf(file: string, specifier: string): string {
  const target = path.relative(repositoryRoot, path.resolve(path.dirname(file), specifier));
  return target.split(path.sep)[0] ?? '';
}

/** Every import of `folder` that the table does not allow, as readable lines. */
function violationsIn(folder: string): string[] {
  const allowed = mayImport[folder];
  if (allowed === 'anything' || allowed === undefined) return [];
  const violations: string[] = [];
  for (const file of sourceFiles(path.join(repositoryRoot, folder))) {
    for (const specifier of specifiersOf(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = folderOf(file, specifier);
      if (target === folder || allowed.includes(target)) continue;
      violations.push(`${path.relative(repositoryRoot, file)} imports ${specifier} (${target})`);
    }
  }
  return violations;
}

describe('layers: each folder imports only what DESIGN.md allows', () => {
  it.each(Object.keys(mayImport))('%s/', (folder) => {
    expect(violationsIn(folder)).toEqual([]);
  });

  it('knows every top-level source folder', () => {
    const folders = readdirSync(repositoryRoot).filter((name) =>
      statSync(path.join(repositoryRoot, name)).isDirectory() &&
      sourceFiles(path.join(repositoryRoot, name)).length > 0 &&
      !name.startsWith('.') && !['node_modules', 'dist', 'test', 'data'].includes(name),
    );
    expect(folders.filter((folder) => !(folder in mayImport))).toEqual([]);
  });
});
