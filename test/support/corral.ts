// Starts a real corral server process (the built CLI, `node dist/cli/main.js server ...`) on a
// loopback port in a temp dir, the way an operator would, for interop and differential tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from './child-processes.js';
import { waitForServing } from './four-letter.js';
import { freePort } from './ports.js';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corralMain = join(projectRoot, 'dist', 'cli', 'main.js');

export interface CorralServer {
  port: number;
  dir: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export interface CorralOptions {
  /** zoo.cfg lines; when given, the server starts with --config on a file holding them. */
  zooCfg?: string[];
  /** Extra command-line flags. */
  args?: string[];
  tickTimeMs?: number;
  /** The loopback address the client port binds to (127.0.0.1 unless a test needs its own). */
  clientAddress?: string;
  /** dataDir to use (and keep on stop) instead of one in the server's temp dir. */
  dataDir?: string;
}

export async function startCorral(options: CorralOptions = {}): Promise<CorralServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'corral-test-'));
  const args = [corralMain, 'server'];
  const dataDir = options.dataDir ?? join(dir, 'data');
  if (options.zooCfg !== undefined) {
    const config = [
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=${options.clientAddress ?? '127.0.0.1'}`,
      ...options.zooCfg,
    ];
    writeFileSync(join(dir, 'zoo.cfg'), `${config.join('\n')}\n`);
    args.push('--config', join(dir, 'zoo.cfg'));
  } else {
    const address = options.clientAddress ?? '127.0.0.1';
    args.push('--client-port', String(port), '--client-port-address', address);
    args.push('--data-dir', dataDir);
    args.push('--tick-time', String(options.tickTimeMs ?? 2000));
  }
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForServing(port, 15_000, options.clientAddress);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${output.slice(-3000)}`);
  }
  return { port, dir, process: child, output: () => output, stop };
}

/** Which server the interop suites target: corral by default, Apache ZooKeeper to check a test. */
export function interopTarget(): 'corral' | 'zookeeper' {
  return process.env.INTEROP_TARGET === 'zookeeper' ? 'zookeeper' : 'corral';
}
