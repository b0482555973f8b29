// Gives a burst's heap back once the server goes idle. V8 keeps the heap it grew to while a
// million creates ran: pages that held the requests' garbage, with a few live objects each,
// stay committed, and no collection runs while nothing allocates. So when the server has been
// idle for a check interval and its heap has grown well past what the last compaction left, it
// runs one full collection that compacts every page, and the emptied pages go back to the
// system (JVMs do the same with G1's periodic collection, ZooKeeper's collector of choice).
// The collection frees the buffers the burst's garbage held; their memory is in the C heap, so
// the C heap's free pages are given back half a second later (malloc-trim.ts): V8 frees the
// buffers' memory on a background thread, some time after the collection.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { trimMalloc } from './malloc-trim.js';

const checkIntervalMs = 2000;
/** From a compaction to the C heap's trim: V8 has freed the collected buffers by then. */
const trimDelayMs = 500;
/** Share of the last interval the event loop was busy, below which the server counts as idle:
 * ticks, pings and session checks stay well under it. */
const idleUtilizationMax = 0.02;
/** Heap grown past what the last compaction left, below which a compaction is not worth its
 * pause (a few hundred milliseconds at most, and only while idle). */
const heapGrowthBytesMin = 32 * 1024 * 1024;

/** What the check looks at: the heap now and after the last compaction, and how busy the
 * event loop was. */
export interface HeapCheck {
  heapBytes: number;
  heapBytesAfterCompaction: number;
  utilization: number;
}

export function shouldCompact(check: HeapCheck): boolean {
  return check.utilization < idleUtilizationMax &&
    check.heapBytes - check.heapBytesAfterCompaction >= heapGrowthBytesMin;
}

type Collect = () => void;
let collect: Collect | undefined | null = null;

/** V8's own full collection: the one `--expose-gc` gives, made available without the flag
 * (jest's leak detector gets it the same way). undefined when this V8 refuses. */
function collector(): Collect | undefined {
  if (collect !== null) return collect;
  collect = undefined;
  try {
    const exposed = (globalThis as { gc?: unknown }).gc;
    let gc = exposed;
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as unknown;
      setFlagsFromString('--no-expose-gc');
    }
    if (typeof gc === 'function') collect = gc as Collect;
  } catch {
    collect = undefined;
  }
  return collect;
}

/** One full collection that compacts every page (not only the sparsest ones V8 would pick).
 * Returns false when no collector is available. */
export function compactHeap(): boolean {
  const gc = collector();
  if (gc === undefined) return false;
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  return true;
}

export interface HeapCompaction {
  stop(): void;
  /** Compactions run so far. */
  readonly compactions: number;
}

/** Checks every checkIntervalMs (an unref'd timer: it keeps no process alive). */
export function startHeapCompaction(): HeapCompaction {
  let heapBytesAfterCompaction = getHeapStatistics().total_heap_size;
  let last = performance.eventLoopUtilization();
  let compactions = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const heapBytes = getHeapStatistics().total_heap_size;
    if (!shouldCompact({ heapBytes, heapBytesAfterCompaction, utilization })) {
      // A heap that shrank on its own is the new reference.
      heapBytesAfterCompaction = Math.min(heapBytesAfterCompaction, heapBytes);
      return;
    }
    if (!compactHeap()) {
      clearInterval(timer);
      return;
    }
    setTimeout(trimMalloc, trimDelayMs).unref();
    compactions++;
    heapBytesAfterCompaction = getHeapStatistics().total_heap_size;
    last = performance.eventLoopUtilization();
  }, checkIntervalMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get compactions() {
      return compactions;
    },
  };
}
