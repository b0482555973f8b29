// Every file in examples/ runs, as the README tells a reader to run it: the built script
// (`node dist/examples/<name>.js 127.0.0.1:PORT`) against a real corral server must exit 0 within
// a bounded time. New examples are picked up from the directory, so none can rot unnoticed.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import { startServer, type TestServer } from './support.js';

const exampleRunMsMax = 15_000;

const names = readdirSync(join(projectRoot, 'examples'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

/** A line each example prints only once it has shown what its opening comment promises. */
const expectedOutput: Record<string, string> = {
  'barrier': 'worker 2 released',
  'counter': 'value: 30n',
  'double-barrier': 'member 2 left',
  'group': 'members: worker-1',
  'leader-election': 'participant 2 leads',
  'leader-latch': 'p2 leads',
  'lock': 'worker 2 holds',
  'node-cache': 'config is now mode=fast',
  'priority-queue': 'urgent\nsoon\nroutine',
  'queue': 'took job 5',
  'read-write-lock': 'writer holds the lock alone',
  'semaphore': 'worker 5 has lease',
  'service-discovery': 'after leave: []',
  'tree-cache': "cached children: [ 'item-0000000000' ]",
  'watch': 'nodeDataChanged /examples-watch/a-0000000000',
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  elapsedMs: number;
}

/** Runs one built example; SIGKILLs it (by its PID) if it outlives the limit. */
function runExample(script: string, connectString: string): Promise<Run> {
  const startedAtMs = performance.now();
  const child = spawn(process.execPath, [script, connectString], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), exampleRunMsMax);
  return new Promise((resolve) => {
    // 'close', not 'exit': the process can exit before its last output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, elapsedMs: performance.now() - startedAtMs });
    });
  });
}

describe('examples run against corral', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer('corral', 200);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('knows what each example in examples/ prints (one per recipe, plus watch)', () => {
    expect(names).toEqual(Object.keys(expectedOutput).sort());
  });

  it.concurrent.each(names)('examples/%s.ts exits 0', async (name) => {
    const script = join(projectRoot, 'dist', 'examples', `${name}.js`);
    expect(existsSync(script), `${script} missing: run npm run build`).toBe(true);
    const run = await runExample(script, server.connectString);
    expect(run, run.output).toMatchObject({ code: 0, signal: null });
    expect(run.output).not.toMatch(/Error|Unhandled/);
    expect(run.output).toContain(expectedOutput[name]);
    expect(run.elapsedMs).toBeLessThan(exampleRunMsMax);
  });
});
