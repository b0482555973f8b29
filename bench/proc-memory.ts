// A process's resident memory as Linux reports it in /proc/<pid>/status: the whole resident set
// (VmRSS) and its split into file-backed pages (RssFile: mapped files such as an LMDB data file
// or the JVM's libraries), anonymous pages (RssAnon: the heap) and shared memory (RssShmem).
// The scale benchmark reads it from corral's and ZooKeeper's server processes after a quiet
// period, so a mapped file the kernel may drop is shown apart from memory the process owns.

import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  rssBytes: number;
  rssFileBytes: number;
  rssAnonBytes: number;
  rssShmemBytes: number;
  /** The peak resident set so far (VmHWM). */
  peakRssBytes: number;
}

const fieldsOfStatus = {
  rssBytes: 'VmRSS',
  rssFileBytes: 'RssFile',
  rssAnonBytes: 'RssAnon',
  rssShmemBytes: 'RssShmem',
  peakRssBytes: 'VmHWM',
} as const satisfies Record<keyof ProcessMemory, string>;

/** The memory lines of a /proc/<pid>/status text; throws when one is missing. */
export function parseProcStatus(text: string): ProcessMemory {
  const kibibytes = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line.trim());
    if (match !== null) kibibytes.set(match[1]!, Number(match[2]));
  }
  const read = (field: string): number => {
    const value = kibibytes.get(field);
    if (value === undefined) throw new Error(`/proc status has no ${field} line`);
    return value * 1024;
  };
  return {
    rssBytes: read(fieldsOfStatus.rssBytes),
    rssFileBytes: read(fieldsOfStatus.rssFileBytes),
    rssAnonBytes: read(fieldsOfStatus.rssAnonBytes),
    rssShmemBytes: read(fieldsOfStatus.rssShmemBytes),
    peakRssBytes: read(fieldsOfStatus.peakRssBytes),
  };
}

/** The memory of a live process (`self` for this one). */
export function readProcessMemory(pid: number | 'self'): ProcessMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** The memory of `pid` after `quietMs` with no load from the benchmark. */
export async function quietProcessMemory(pid: number, quietMs: number): Promise<ProcessMemory> {
  await new Promise((done) => setTimeout(done, quietMs));
  return readProcessMemory(pid);
}
