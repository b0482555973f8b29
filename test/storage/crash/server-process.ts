// A real corral server process on a data dir that outlives it: started, SIGKILLed and started
// again on the same dir and port, as an operator's supervisor would. (test/support/corral.ts
// makes a fresh temp dir per server and deletes it on stop, which a restart test cannot use.)

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corralMain } from '../../support/corral.js';
import { waitForServing } from '../../support/four-letter.js';

export interface ServerProcess {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Writes `dir/zoo.cfg` for a server whose data dir is `dataDir`. */
export function writeZooCfg(dir: string, dataDir: string, port: number, extra: string[]): string {
  const file = join(dir, 'zoo.cfg');
  const lines = [`dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1',
    'tickTime=1000', ...extra];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function spawnServer(configFile: string): ServerProcess {
  const child = spawn(process.execPath, [corralMain, 'server', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });
  return { process: child, output: () => output, exited };
}

/** Starts a server and waits until it answers on its port. */
export async function startServer(configFile: string, port: number): Promise<ServerProcess> {
  const server = spawnServer(configFile);
  const exitedEarly = server.exited.then((code) => {
    throw new Error(`server exited with ${code} before serving:\n${server.output().slice(-3000)}`);
  });
  await Promise.race([waitForServing(port, 20_000), exitedEarly]);
  exitedEarly.catch(() => undefined);
  return server;
}

/** SIGKILL: no shutdown code runs, as in a crash. */
export async function killServer(server: ServerProcess): Promise<void> {
  if (server.process.exitCode === null && server.process.signalCode === null) {
    server.process.kill('SIGKILL');
  }
  await server.exited;
}
