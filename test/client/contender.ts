// The parent's handle on a contender child process (contender-process.mjs): spawn it with its
// participants, wait for what it says on stdout, tell it to go/close/exit, or SIGKILL it by PID
// and record in the holder log that its participants can no longer hold anything.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appendHolderEvent } from './holder-log.js';

const script = fileURLToPath(new URL('./contender-process.mjs', import.meta.url));

export interface ContenderConfig {
  connectString: string;
  recipe: 'lock' | 'brokenLock' | 'latch' | 'election';
  path: string;
  log: string;
  /** One session per id. */
  ids: string[];
  rounds?: number;
  holdMs?: number;
  sessionTimeoutMs?: number;
}

export class ContenderProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(readonly config: ContenderConfig) {
    this.child = spawn(process.execPath, [script, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Resolves once the process has printed `line`; fails with its output after `timeoutMs`. */
  async waitFor(line: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.split('\n').includes(line)) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`contender never said '${line}':\n${this.output.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Waits for a clean exit (after 'exit', or when its work is done), bounded. */
  async finished(timeoutMs = 15_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return this.child.exitCode;
  }

  /** SIGKILL; once it is gone, every participant of it is recorded as killed. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
    for (const id of this.config.ids) appendHolderEvent(this.config.log, 'killed', id);
  }

  /** For afterAll: ends the process whatever state it is in. */
  async destroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  get outputText(): string {
    return this.output;
  }
}
