// Gives the C heap's freed pages back once the server goes idle, as heap-compaction.ts does for
// V8's heap. Buffers, socket reads and the storage's native work come from glibc's malloc, which
// hands memory back to the system only from the top of its heap: after a million creates, the
// requests' buffers had left some 40 MiB of freed memory resident between chunks still in use
// (a third of the server's heap besides V8's and the tree's columns). glibc's malloc_trim
// releases the free pages anywhere in its heaps; Node offers no call for it, so it is called
// through koffi (a C function interface). Elsewhere (another C library, another system, koffi
// missing) there is no such call and nothing is done.

import { createRequire } from 'node:module';

type Trim = () => boolean;
let trim: Trim | undefined | null = null;

function trimmer(): Trim | undefined {
  if (trim !== null) return trim;
  trim = undefined;
  if (process.platform !== 'linux') return undefined;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    // malloc_trim(0): keep no padding at the top; returns 1 when memory was given back.
    const mallocTrim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    trim = () => mallocTrim(0) === 1;
  } catch {
    // Not glibc (musl has no malloc_trim), or koffi cannot load here.
    trim = undefined;
  }
  return trim;
}

/** Whether this process can give freed C heap pages back (glibc on Linux, koffi loadable). */
export function canTrimMalloc(): boolean {
  return trimmer() !== undefined;
}

/**
 * Releases the C heap's free pages to the system (it blocks while it does: about 0.1 ms when
 * nothing is free, a few hundred ms for hundreds of MiB on a loaded machine; only run while
 * idle). Returns whether any memory was released; false when it cannot be.
 */
export function trimMalloc(): boolean {
  return trimmer()?.() ?? false;
}
