// Turns a transcript into lines that two correct servers must agree on: zxids become their rank
// among all zxids the run saw, times become relations (ctime in the run's window, mtime against
// ctime), session ids become labels, and orders ZooKeeper leaves to hashing become sorted.
// Comparing an ensemble with one server, /zookeeper/config can be compared by shape only.

import { createHash } from 'node:crypto';
import { errorName } from '../../protocol/errors.js';
import type { Stat } from '../../protocol/records.js';
import type { OpResult, ResponseBody } from '../../protocol/responses.js';
import type { SessionSlot } from './generator.js';
import type { Entry, Transcript } from './runner.js';

/** One comparable line, tied to the step whose reply it is or precedes. */
export interface NormalizedLine {
  step: number;
  text: string;
}

export interface NormalizeOptions {
  /**
   * Compare /zookeeper/config by shape only. A standalone server keeps it empty; in an ensemble
   * ZooKeeper keeps the membership there (server.N lines and version=…, with dataVersion -1 and
   * the server's start as mtime), which a standalone reference cannot match. The node is the
   * only one with aversion -1 (ZooKeeper sets its read-only ACL through setACL(…, -1)).
   */
  configNodeByShape?: boolean;
}

/** Clock skew allowed between this process and the server when checking times. */
const timeSlackMs = 2000;

class Normalizer {
  private readonly ranks = new Map<number, number>();

  constructor(
    private readonly transcript: Transcript,
    private readonly options: NormalizeOptions = {},
  ) {
    const zxids = new Set<number>();
    const addStat = (stat: Stat): void => {
      zxids.add(stat.czxid).add(stat.mzxid).add(stat.pzxid);
    };
    for (const entries of Object.values(transcript.slots)) {
      for (const entry of entries) {
        if (entry.kind === 'reply') {
          zxids.add(entry.header.zxid);
          forEachStat(entry.body, addStat);
        } else if (entry.kind === 'event') {
          zxids.add(entry.zxid);
        }
      }
    }
    const positive = [...zxids].filter((zxid) => zxid > 0).sort((left, right) => left - right);
    positive.forEach((zxid, index) => this.ranks.set(zxid, index + 1));
  }

  /** Zero and negatives (no zxid, -1 in notifications) stay literal; others become z<rank>. */
  zxid(value: number): string {
    return value > 0 ? `z${this.ranks.get(value)}` : String(value);
  }

  time(value: number): string {
    if (value === 0) return '0';
    const { startedAtMs, endedAtMs } = this.transcript;
    const inside = value >= startedAtMs - timeSlackMs && value <= endedAtMs + timeSlackMs;
    return inside ? 'in-run' : `outside-run(${value})`;
  }

  isConfigNode(stat: Stat): boolean {
    return this.options.configNodeByShape === true && stat.czxid === 0 && stat.aversion === -1;
  }

  /** Node data (null kept apart from empty), unless it is /zookeeper/config compared by shape. */
  data(bytes: Buffer | null, stat: Stat): string {
    return this.isConfigNode(stat) ? '(config)' : data(bytes);
  }

  stat(stat: Stat): string {
    if (this.isConfigNode(stat)) {
      return `stat(config node c=0 m=${this.zxid(stat.mzxid)} p=${this.zxid(stat.pzxid)}`
        + ` cv=${stat.cversion} av=-1 kids=${stat.numChildren})`;
    }
    // An unmodified node's mtime is its ctime; after setData only "not before" is deterministic.
    const mtime = stat.mtime === stat.ctime
      ? (stat.version === 0 ? '=ctime' : '>=ctime')
      : stat.mtime > stat.ctime
        ? (stat.version === 0 ? '>ctime-unmodified' : '>=ctime')
        : '<ctime';
    const owner = stat.ephemeralOwner === 0n
      ? '0'
      : (this.transcript.sessions.get(stat.ephemeralOwner) ?? stat.ephemeralOwner.toString(16));
    return `stat(c=${this.zxid(stat.czxid)} m=${this.zxid(stat.mzxid)} p=${this.zxid(stat.pzxid)}`
      + ` ctime=${this.time(stat.ctime)} mtime=${mtime} v=${stat.version} cv=${stat.cversion}`
      + ` av=${stat.aversion} owner=${owner} len=${stat.dataLength} kids=${stat.numChildren})`;
  }

  body(body: ResponseBody): string {
    switch (body.kind) {
      case 'none':
        return 'none';
      case 'path':
        return `path ${JSON.stringify(body.path)}`;
      case 'pathStat':
        return `path ${JSON.stringify(body.path)} ${this.stat(body.stat)}`;
      case 'stat':
        return this.stat(body.stat);
      case 'data':
        return `data ${this.data(body.data, body.stat)} ${this.stat(body.stat)}`;
      case 'acl':
        return `acl ${JSON.stringify(body.acl)} ${this.stat(body.stat)}`;
      case 'children':
        return `children ${sorted(body.children)}`;
      case 'childrenStat':
        return `children ${sorted(body.children)} ${this.stat(body.stat)}`;
      case 'multi':
        return `multi [${body.results.map((result) => this.opResult(result)).join(', ')}]`;
      case 'paths':
        return `paths ${sorted(body.paths)}`;
      case 'number':
        return `number ${body.value}`;
      case 'clientInfo':
        // whoAmI lists the connection's auth ids; compared as a set, order being incidental.
        return `clientInfo ${sorted(body.entries.map((id) => `${id.authScheme}:${id.user}`))}`;
      case 'token':
        return `token ${data(body.token)}`;
    }
  }

  opResult(result: OpResult): string {
    switch (result.kind) {
      case 'create':
        return `create ${JSON.stringify(result.path)}`
          + (result.stat === null ? '' : ` ${this.stat(result.stat)}`);
      case 'setData':
        return `setData ${this.stat(result.stat)}`;
      case 'getData':
        return `getData ${this.data(result.data, result.stat)} ${this.stat(result.stat)}`;
      case 'getChildren':
        return `getChildren ${sorted(result.children)}`;
      case 'error':
        return `error ${errorName(result.err)}`;
      case 'delete':
      case 'check':
        return result.kind;
    }
  }

  entry(entry: Exclude<Entry, { kind: 'event' }>): string {
    switch (entry.kind) {
      case 'reply': {
        const { header } = entry;
        return `reply xid=${header.xid} zxid=${this.zxid(header.zxid)} `
          + `err=${errorName(header.err)} ${this.body(entry.body)}`;
      }
      case 'failed':
        return `failed ${entry.error}`;
      case 'connection':
        return `connection ${entry.state}`;
    }
  }

  /** A slot's lines; events between two other entries are sorted (ZooKeeper uses hash order). */
  slot(entries: readonly Entry[]): NormalizedLine[] {
    const lines: NormalizedLine[] = [];
    let events: string[] = [];
    for (const entry of entries) {
      if (entry.kind === 'event') {
        const { event } = entry;
        events.push(`event type=${event.type} state=${event.state}`
          + ` path=${JSON.stringify(event.path)}`
          + ` zxid=${this.zxid(entry.zxid)}`);
        continue;
      }
      for (const text of events.sort()) lines.push({ step: entry.step, text });
      events = [];
      lines.push({ step: entry.step, text: this.entry(entry) });
    }
    for (const text of events.sort()) lines.push({ step: Number.POSITIVE_INFINITY, text });
    return lines;
  }
}

function forEachStat(body: ResponseBody, visit: (stat: Stat) => void): void {
  if ('stat' in body) visit(body.stat);
  if (body.kind !== 'multi') return;
  for (const result of body.results) {
    if ('stat' in result && result.stat !== null) visit(result.stat);
  }
}

function sorted(items: readonly string[]): string {
  return JSON.stringify([...items].sort());
}

/** null prints as null, empty data as "": a server that turned one into the other differs. */
function data(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  if (bytes.length <= 16) return JSON.stringify(bytes.toString('latin1'));
  return `${bytes.length}B sha1=${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}`;
}

export function normalize(
  transcript: Transcript,
  options: NormalizeOptions = {},
): Record<SessionSlot, NormalizedLine[]> {
  const normalizer = new Normalizer(transcript, options);
  return {
    A: normalizer.slot(transcript.slots.A),
    B: normalizer.slot(transcript.slots.B),
  };
}
