// Small znode values kept in shared slab buffers instead of a Buffer object each: a Buffer costs
// about a hundred bytes of heap before its first data byte, more than a typical value holds.
// Cells come in power-of-two size classes, each class with its own chunks and free list, so a
// freed cell is reused by the next value of its class and nothing needs compacting.

/** The smallest cell: values up to this many bytes share one class. */
const cellBytesMin = 8;
/** Values longer than this are not kept here (NodeStore keeps them as their own Buffer). */
export const slabValueBytesMax = 1024;
/** Bytes per chunk: a class grows one chunk at a time. */
const chunkBytes = 64 * 1024;
/** Classes 8, 16, …, 1024 bytes. */
const classCount = Math.log2(slabValueBytesMax / cellBytesMin) + 1;
const emptyChunk = Buffer.alloc(0);
/** A cell reference: class in the low bits, the cell's number in its class above them. */
const classBits = 3;

/** Free cell numbers of one class, as a growable stack. */
class CellStack {
  private cells = new Int32Array(64);
  size = 0;

  push(cell: number): void {
    if (this.size === this.cells.length) {
      const grown = new Int32Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    this.cells[this.size++] = cell;
  }

  pop(): number {
    return this.cells[--this.size]!;
  }
}

class SizeClass {
  readonly chunks: Buffer[] = [];
  /** Each chunk as a DataView, for storeFrom's copy a word at a time. */
  readonly views: DataView[] = [];
  readonly free = new CellStack();
  /** Cells handed out from the last chunk so far; cells never handed out follow them. */
  private used = 0;
  readonly cellsPerChunk: number;

  constructor(readonly cellBytes: number) {
    this.cellsPerChunk = chunkBytes / cellBytes;
  }

  take(): number {
    if (this.free.size > 0) return this.free.pop();
    if (this.chunks.length === 0 || this.used === this.cellsPerChunk) {
      // Not pooled (allocUnsafeSlow): each chunk is its own memory, freed with the slab.
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      this.chunks.push(chunk);
      this.views.push(new DataView(chunk.buffer, chunk.byteOffset, chunk.length));
      this.used = 0;
    }
    return (this.chunks.length - 1) * this.cellsPerChunk + this.used++;
  }
}

/** Where a cell's bytes are: the chunk and the offset in it. */
interface CellPlace {
  chunk: Buffer;
  view: DataView;
  offset: number;
}

export class DataSlab {
  private readonly classes: SizeClass[] = [];
  private readonly place: CellPlace = { chunk: emptyChunk, view: new DataView(emptyChunk.buffer),
    offset: 0 };

  constructor() {
    for (let index = 0; index < classCount; index++) {
      this.classes.push(new SizeClass(cellBytesMin << index));
    }
  }

  /** Copies `bytes` (1 to slabValueBytesMax long) into a free cell; returns its reference. */
  store(bytes: Uint8Array): number {
    const classIndex = classOf(bytes.length);
    const cell = this.classes[classIndex]!.take();
    const { chunk, offset } = this.locate((cell << classBits) | classIndex);
    chunk.set(bytes, offset);
    return (cell << classBits) | classIndex;
  }

  /** store() for the bytes [start, start + length) of `source`, without a Buffer of them: a
   * restore's values, a few dozen bytes each, are copied four bytes at a time (a view each
   * would cost more than the copy, and a byte at a time twice as much). */
  storeFrom(source: DataView, start: number, length: number): number {
    const classIndex = classOf(length);
    const cell = this.classes[classIndex]!.take();
    const { view, offset } = this.locate((cell << classBits) | classIndex);
    let at = 0;
    for (; at + 4 <= length; at += 4) view.setInt32(offset + at, source.getInt32(start + at));
    for (; at < length; at++) view.setUint8(offset + at, source.getUint8(start + at));
    return (cell << classBits) | classIndex;
  }

  /** The value's bytes in place: valid only until the cell is released (read, then drop). */
  view(reference: number, length: number): Buffer {
    const { chunk, offset } = this.locate(reference);
    return chunk.subarray(offset, offset + length);
  }

  /** The value's bytes as a Buffer of their own, safe to hold after the cell is reused. */
  copy(reference: number, length: number): Buffer {
    const { chunk, offset } = this.locate(reference);
    const copy = Buffer.allocUnsafe(length);
    chunk.copy(copy, 0, offset, offset + length);
    return copy;
  }

  release(reference: number): void {
    this.classes[reference & ((1 << classBits) - 1)]!.free.push(reference >>> classBits);
  }

  private locate(reference: number): CellPlace {
    const sizeClass = this.classes[reference & ((1 << classBits) - 1)]!;
    const cell = reference >>> classBits;
    const chunkIndex = Math.floor(cell / sizeClass.cellsPerChunk);
    this.place.chunk = sizeClass.chunks[chunkIndex]!;
    this.place.view = sizeClass.views[chunkIndex]!;
    this.place.offset = (cell - chunkIndex * sizeClass.cellsPerChunk) * sizeClass.cellBytes;
    return this.place;
  }
}

/** The class whose cells are the smallest that hold `length` bytes. */
function classOf(length: number): number {
  let classIndex = 0;
  while ((cellBytesMin << classIndex) < length) classIndex++;
  return classIndex;
}
