// A real server-sent events reader for the admin server's /commands/machine_events: one HTTP
// GET over loopback, its `data:` lines parsed as machine stream messages as they arrive, with a
// replay of the actors' states and a bounded wait for what a test expects to see.
import { request, type IncomingMessage } from 'node:http';
import type { StreamMessage, StreamStateValue } from '../../protocol/machine-stream.js';

export class MachineEventsReader {
  readonly messages: StreamMessage[] = [];
  /** Each live actor's latest state (a gap starts over, `ended` removes). */
  readonly states = new Map<string, { machine: string; label?: string; state: StreamStateValue }>();
  private pending = '';
  private waiters: Array<() => void> = [];

  private constructor(private readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.take(chunk));
  }

  /** Opens the stream; rejects with the status and body when it is refused. */
  static open(
    port: number,
    headers: Record<string, string> = {},
    path = '/commands/machine_events',
  ): Promise<MachineEventsReader> {
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, path, headers }, (response) => {
        if (response.statusCode === 200) return resolve(new MachineEventsReader(response));
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => reject(new Error(`status ${response.statusCode}: ${body}`)));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  /** Resolves with the first message (seen already or to come) `matches` accepts. */
  async waitFor(matches: (message: StreamMessage) => boolean, timeoutMs = 20_000):
    Promise<StreamMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(matches);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the stream did not show what was expected in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the replayed states satisfy `holds`. */
  async waitForStates(
    holds: (states: MachineEventsReader['states']) => boolean,
    timeoutMs = 20_000,
  ): Promise<void> {
    await this.waitFor(() => holds(this.states), timeoutMs);
  }

  close(): void {
    this.response.destroy();
  }

  private take(chunk: string): void {
    this.pending += chunk;
    let end = this.pending.indexOf('\n\n');
    while (end >= 0) {
      const block = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) this.record(JSON.parse(line.slice(6)) as StreamMessage);
      }
      end = this.pending.indexOf('\n\n');
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  private record(message: StreamMessage): void {
    this.messages.push(message);
    switch (message.kind) {
      case 'actor':
        this.states.set(message.actor, {
          machine: message.machine,
          ...(message.label === undefined ? {} : { label: message.label }),
          state: message.state,
        });
        return;
      case 'transition': {
        const known = this.states.get(message.actor);
        if (known !== undefined) known.state = message.state;
        return;
      }
      case 'ended':
        this.states.delete(message.actor);
        return;
      case 'gap':
      case 'hello':
        this.states.clear();
        return;
    }
  }
}

/** The top-level state of a replica machine's value ('leading', 'following', 'looking', …). */
export function topState(value: StreamStateValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : Object.keys(value)[0];
}
