// The log's file is mapped into the process: every page LMDB touches stays resident (RssFile)
// until the map goes. Releasing the mapped pages (reopening the environment) must drop them,
// keep everything stored, and let reads and ordered writes carry on around it.

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableTxnLog } from '../../storage/durable-log.js';
import { lmdbStorageBackend } from '../../storage/lmdb-backend.js';
import type { Txn } from '../../protocol/txn.js';
import { removeTempDirs, tempDir } from './fixtures.js';

afterAll(removeTempDirs);

/** KiB of this process's memory resident from mappings of files under `dir`. */
function residentKibUnder(dir: string): number {
  let kib = 0;
  let counting = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) counting = line.includes(dir);
    else if (counting && line.startsWith('Rss:')) kib += Number(line.split(/\s+/)[1]);
  }
  return kib;
}

function setDataTxn(zxid: number, data: Buffer): Txn {
  return {
    zxid, time: 1_700_000_000_000, sessionId: 7n, cxid: zxid,
    body: {
      type: 'write',
      request: { kind: 'setData', path: `/n${zxid % 64}`, data, version: -1 },
      auth: { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false },
    },
  };
}

const linux = process.platform === 'linux';

describe.skipIf(!linux)('the log\'s mapped pages', () => {
  it('drops the log from resident memory, keeps it whole, and reads and writes carry on',
    async () => {
      const dir = tempDir('corral-mapped-');
      const session = await lmdbStorageBackend(dir).open();
      const log = await DurableTxnLog.open(session);
      const data = Buffer.alloc(1024, 0x61);
      const txnsPerAppend = 200;
      const appends = 60;
      let zxid = 0;
      for (let append = 0; append < appends; append++) {
        const txns = Array.from({ length: txnsPerAppend }, () => setDataTxn(++zxid, data));
        await log.append(txns);
      }
      // Every append reads its predecessor's last leaf back through the map.
      const before = residentKibUnder(dir);
      expect(before).toBeGreaterThan(4 * 1024);

      // Reads on every turn, and appends asked for while the release is under way.
      let reads = 0;
      let reading = true;
      const readEachTurn = (): void => {
        if (!reading) return;
        expect(log.lastZxid()).toBeGreaterThanOrEqual(appends * txnsPerAppend);
        expect(log.holds(1)).toBe(true);
        reads++;
        setImmediate(readEachTurn);
      };
      readEachTurn();
      const releasing = session.releaseMappedPages!();
      const during = [1, 2, 3].map(() => log.append([setDataTxn(++zxid, data)]));
      await releasing;
      await Promise.all(during);
      reading = false;

      // Most of it is gone; the reads and appends around the release fault a few pages back
      // in, more of them on a loaded machine (up to about 1 MiB of 7 seen), so a quarter bounds it.
      expect(residentKibUnder(dir)).toBeLessThan(before / 4);
      expect(reads).toBeGreaterThan(1);
      const zxids = [...log.readFrom(0)].map((txn) => txn.zxid);
      expect(zxids).toHaveLength(zxid);
      expect(zxids.every((value, index) => value === index + 1)).toBe(true);
      expect(log.scan().corrupt).toEqual([]);
      await log.close();

      // What was appended around the release is durable: a fresh open finds it all.
      const reopened = await DurableTxnLog.open(await lmdbStorageBackend(dir).open());
      expect(reopened.lastZxid()).toBe(zxid);
      expect(reopened.entryCount).toBe(zxid);
      await reopened.close();
    });

  it('skips a release when a reader began while it waited, and the reader reads on', async () => {
    const dir = tempDir('corral-mapped-hold-');
    const session = await lmdbStorageBackend(dir).open();
    const log = await DurableTxnLog.open(session);
    const data = Buffer.alloc(1024, 0x62);
    let zxid = 0;
    for (let append = 0; append < 20; append++) {
      await log.append(Array.from({ length: 100 }, () => setDataTxn(++zxid, data)));
    }
    const before = residentKibUnder(dir);
    // The release is asked for with no reader; one begins (a learner's sync stream, read over
    // many turns) before the environment would be let go.
    let readerHolds = false;
    const releasing = session.releaseMappedPages!(() => !readerHolds);
    const reader = log.readFrom(0)[Symbol.iterator]();
    readerHolds = true;
    const first = reader.next();
    await releasing;
    let read = first.done === true ? 0 : 1;
    for (let step = reader.next(); step.done !== true; step = reader.next()) {
      expect(step.value.zxid).toBe(read + 1);
      read++;
      if (read % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(read).toBe(zxid);
    // Skipped: the pages are still mapped (a later release drops them).
    expect(residentKibUnder(dir)).toBeGreaterThan(before / 2);
    readerHolds = false;
    await session.releaseMappedPages!(() => !readerHolds);
    expect(residentKibUnder(dir)).toBeLessThan(before / 4);
    await log.close();
  });
});
