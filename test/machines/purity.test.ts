// Enforces "machines are pure" (STYLE.md rule 1): every file under machines/ is parsed and may
// import only xstate, other machines/ files and protocol/, and may not touch wall-clock time,
// timers or randomness. The same machines must run unchanged in production, tests and the sim.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const machinesDirectory = path.join(repositoryRoot, 'machines');

const forbiddenPackages = ['lmdb', 'msgpackr', 'nanoevents', 'pino', 'ws'];
const forbiddenFolders = ['transport', 'storage', 'actors', 'tree', 'sim', 'cli', 'client'];
const allowedFolders = ['machines', 'protocol'];
/** Globals through which time, timers, randomness or the process would leak into a machine. */
const forbiddenGlobals = new Set([
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'process',
  'performance',
]);
const forbiddenMembers = new Set(['Date.now', 'Math.random', 'crypto.randomUUID']);

/** Every violation in one source file, as readable lines. */
function findImpurities(fileName: string, sourceText: string): string[] {
  const source = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.ES2022, true);
  const violations: string[] = [];
  const report = (node: ts.Node, message: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    violations.push(`${path.basename(fileName)}:${line + 1} ${message}`);
  };
  const visit = (node: ts.Node): void => {
    const specifier = moduleSpecifierOf(node);
    if (specifier !== undefined) {
      const problem = checkSpecifier(fileName, specifier);
      if (problem !== undefined) report(node, problem);
    }
    if (ts.isPropertyAccessExpression(node)) {
      const member = `${node.expression.getText(source)}.${node.name.text}`;
      if (forbiddenMembers.has(member)) report(node, `uses ${member}`);
    }
    if (ts.isNewExpression(node) && node.expression.getText(source) === 'Date') {
      report(node, 'reads the wall clock with new Date()');
    }
    if (ts.isIdentifier(node) && forbiddenGlobals.has(node.text) && !isPropertyName(node)) {
      report(node, `uses ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

/** `import … from 'x'`, `export … from 'x'`, `import('x')` and `require('x')`. */
function moduleSpecifierOf(node: ts.Node): string | undefined {
  if (
    (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
    node.moduleSpecifier !== undefined &&
    ts.isStringLiteral(node.moduleSpecifier)
  ) {
    return node.moduleSpecifier.text;
  }
  if (ts.isCallExpression(node) && node.arguments.length > 0) {
    const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
    const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
    const [argument] = node.arguments;
    if ((isImport || isRequire) && argument !== undefined) {
      return ts.isStringLiteralLike(argument) ? argument.text : '<computed>';
    }
  }
  return undefined;
}

function checkSpecifier(fileName: string, specifier: string): string | undefined {
  if (specifier === '<computed>') return 'imports a computed module name';
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? '')) {
    return `imports Node built-in '${specifier}'`;
  }
  if (specifier.startsWith('.')) {
    const resolved = path.relative(repositoryRoot, path.resolve(path.dirname(fileName), specifier));
    const folder = resolved.split(path.sep)[0] ?? '';
    if (forbiddenFolders.includes(folder)) return `imports ${folder}/ ('${specifier}')`;
    if (!allowedFolders.includes(folder)) return `imports outside machines/ and protocol/`;
    return undefined;
  }
  const packageName = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] ?? specifier);
  if (forbiddenPackages.includes(packageName)) return `imports '${specifier}'`;
  if (packageName !== 'xstate') return `imports package '${specifier}' (only xstate allowed)`;
  return undefined;
}

function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    (ts.isPropertyAssignment(parent) && parent.name === node) ||
    (ts.isMethodDeclaration(parent) && parent.name === node) ||
    (ts.isPropertySignature(parent) && parent.name === node)
  );
}

function machineSourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const fullPath = path.join(directory, entry.name);
    if (entry.isDirectory()) return machineSourceFiles(fullPath);
    return entry.name.endsWith('.ts') ? [fullPath] : [];
  });
}

describe('machines/ purity', () => {
  const files = machineSourceFiles(machinesDirectory);

  it('finds the machine sources', () => {
    expect(files.map((file) => path.basename(file))).toContain('session.ts');
  });

  it.each(files.map((file) => [path.relative(repositoryRoot, file), file]))(
    '%s imports nothing impure and never reads time or randomness',
    (_relativePath, file) => {
      expect(findImpurities(file, readFileSync(file, 'utf8'))).toEqual([]);
    },
  );

  it('catches each kind of impurity (checker self-test)', () => {
    const fileName = path.join(machinesDirectory, 'example.ts');
    const impure = [
      "import { readFile } from 'node:fs/promises';",
      "import net from 'net';",
      "import { open } from 'lmdb';",
      "import { pack } from 'msgpackr';",
      "import { createNanoEvents } from 'nanoevents';",
      "import { tcp } from '../transport/tcp.js';",
      "export { log } from '../storage/log.js';",
      "const server = await import('../actors/server.js');",
      'const now = Date.now();',
      'const jitter = Math.random();',
      'setTimeout(() => {}, 10);',
      'const timer = setInterval(() => {}, 10);',
    ].join('\n');
    expect(findImpurities(fileName, impure)).toHaveLength(12);
    const pure = [
      "import { setup } from 'xstate';",
      "import { negotiateSessionTimeout } from './rules.js';",
      "import type { Zxid } from '../protocol/constants.js';",
      'const delays = { setTimeout: 1 }; // setTimeout in a comment is fine',
    ].join('\n');
    expect(findImpurities(fileName, pure)).toEqual([]);
  });
});
