// A simulator trace as `corral dashboard --trace FILE` serves it: checked once at startup (its
// first line must be a TraceHeader of the version this build reads), then handed to the page
// as the file's own JSON lines, which the page replays step by step.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { machineStreamVersion, type TraceHeader } from '../../protocol/machine-stream.js';

/** A header line is a few hundred bytes; a file whose first line is longer is not a trace. */
const headerBytesMax = 64 * 1024;

export class TraceFileError extends Error {}

/** Reads and checks the header of the trace at `path`; a TraceFileError says what is wrong. */
export function readTraceHeader(path: string): TraceHeader {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new TraceFileError(`${path} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof TraceFileError) throw error;
    throw new TraceFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const buffer = Buffer.alloc(Math.min(size, headerBytesMax));
  const descriptor = openSync(path, 'r');
  try {
    readSync(descriptor, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(descriptor);
  }
  const newline = buffer.indexOf(0x0a);
  if (newline < 0) {
    throw new TraceFileError(`${path} is not a corral trace: no header line ` +
      `(write one with corral sim --seed N --trace-out FILE)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(buffer.subarray(0, newline).toString('utf8'));
  } catch {
    throw new TraceFileError(`${path} is not a corral trace: its first line is not JSON ` +
      `(write one with corral sim --seed N --trace-out FILE)`);
  }
  return checkedHeader(path, header);
}

function checkedHeader(path: string, header: unknown): TraceHeader {
  const fields = header as Partial<TraceHeader> | null;
  if (typeof fields !== 'object' || fields === null || fields.kind !== 'trace') {
    throw new TraceFileError(`${path} is not a corral trace: its first line is not a trace ` +
      `header ({"kind":"trace",…})`);
  }
  if (fields.version !== machineStreamVersion) {
    throw new TraceFileError(`${path} is a trace of version ${String(fields.version)}; ` +
      `this corral reads version ${machineStreamVersion}`);
  }
  if (!Array.isArray(fields.replicas) || typeof fields.seed !== 'number') {
    throw new TraceFileError(`${path}: its trace header lacks its seed or replicas`);
  }
  return fields as TraceHeader;
}
