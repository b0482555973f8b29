// Server-sent events both ways: a parser for what a replica's admin server streams at
// /commands/machine_events (the dashboard is its client), and the framing the dashboard writes to
// its browsers. The parser follows the HTML standard's event-stream rules (lines end in LF, CRLF
// or CR; `data` lines join with LF; a blank line dispatches; `:` starts a comment) and bounds the
// text it holds, since the far end is a process the dashboard does not control.

export interface ServerSentEvent {
  /** The `id:` field, when the event carried one. */
  id: string | undefined;
  event: string;
  data: string;
}

/** A replica's hello holds every machine definition: large, but far below this. */
export const sseEventCharsMax = 32 * 1024 * 1024;

export class SseParser {
  private pending = '';
  private data: string[] = [];
  private dataChars = 0;
  private id: string | undefined;
  private event = '';
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private afterCarriageReturn = false;

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  /** Feeds decoded text; throws when one event grows past sseEventCharsMax. */
  push(text: string): void {
    let chunk = text;
    if (this.afterCarriageReturn && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCarriageReturn = chunk.endsWith('\r');
    const lines = (this.pending + chunk).split(/\r\n|\r|\n/);
    this.pending = lines.pop() ?? '';
    if (this.pending.length + this.dataChars > sseEventCharsMax) {
      throw new Error(`an event stream line passed ${sseEventCharsMax} characters`);
    }
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatchEvent();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataChars += value.length + 1;
      if (this.dataChars > sseEventCharsMax) {
        throw new Error(`an event stream event passed ${sseEventCharsMax} characters`);
      }
      this.data.push(value);
    } else if (field === 'id' && !value.includes('\0')) {
      this.id = value;
    } else if (field === 'event') {
      this.event = value;
    }
    // `retry` and unknown fields: the dashboard keeps its own reconnect schedule.
  }

  private dispatchEvent(): void {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.dataChars = 0;
    this.event = '';
    if (data.length === 0) return;
    this.dispatch({ id: this.id, event: event === '' ? 'message' : event, data: data.join('\n') });
  }
}

/** One event as the dashboard writes it to a browser: its JSON on one `data:` line. */
export function sseFrame(message: unknown): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}
