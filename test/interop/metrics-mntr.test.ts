// mntr's field names against a real Apache ZooKeeper 3.8 (standalone, same traffic): corral's
// keys are ZooKeeper's, and every ZooKeeper key corral lacks belongs to a metric it deliberately
// leaves out (zookeeper-metrics/omitted.ts, with the reason). /metrics is compared with a live
// ZooKeeper's in metrics-zookeeper-scrape.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zooKeeperExportedTypes } from '../../actors/operations/metrics-names.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { createOn } from '../support/ensemble-requests.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';
import { monitor } from '../actors/operations/metrics-support.js';
import { zooKeeper38Metrics } from '../actors/operations/zookeeper-metrics-fixture.js';
import { omittedNames } from './zookeeper-metrics/omitted.js';

const summaryKey = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;

/** The ZooKeeper metric an mntr key reports: itself, a summary's field, or a summary set's
 * (`avg_<key>_write_per_namespace`). */
function metricOf(key: string): string {
  if (zooKeeper38Metrics[key] !== undefined) return key;
  const field = summaryKey.exec(key);
  if (field === null) return key;
  const name = field[2]!;
  if (zooKeeper38Metrics[name] !== undefined) return name;
  const set = Object.keys(zooKeeper38Metrics).find((each) => name.endsWith(`_${each}`));
  return set ?? name;
}

/** Three creates through fresh sessions: writes, sessions and a snapshot-free log on both. */
async function traffic(port: number, prefix = '/k'): Promise<void> {
  for (let index = 0; index < 3; index++) expect(await createOn(port, `${prefix}${index}`)).toBe(0);
}

const available = zookeeperAvailable();
let zookeeper: ZooKeeperServer | undefined;
let corral: CorralServer | undefined;

beforeAll(async () => {
  if (!available) return;
  [zookeeper, corral] = await Promise.all([
    startZooKeeper(),
    startCorral({ zooCfg: ['tickTime=2000', '4lw.commands.whitelist=*'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([zookeeper?.stop(), corral?.stop()]);
});

describe.skipIf(!available)('mntr field names against Apache ZooKeeper 3.8 (standalone)', () => {
  it('has ZooKeeper\'s keys for everything corral measures, and only ZooKeeper\'s', async () => {
    await Promise.all([traffic(zookeeper!.port), traffic(corral!.port)]);
    const [expected, actual] = await Promise.all([monitor(zookeeper!.port), monitor(corral!.port)]);
    const zooKeeperKeys = new Set(expected.keys());
    const corralKeys = [...actual.keys()];
    expect(corralKeys.filter((key) => !zooKeeperKeys.has(key))).toEqual([]);
    const missing = [...zooKeeperKeys].filter((key) => !actual.has(key));
    const unexplained = missing.filter((key) => !omittedNames.has(metricOf(key)));
    expect(unexplained).toEqual([]);
    // An omission is one: nothing listed is exported, and every name listed is ZooKeeper's.
    const exported = zooKeeperExportedTypes();
    for (const name of omittedNames) {
      expect({ name, exported: exported.has(name) }).toEqual({ name, exported: false });
      expect({ name, known: zooKeeper38Metrics[name] !== undefined })
        .toEqual({ name, known: true });
    }
    // The figures both count the same way after the same traffic.
    for (const key of ['znode_count', 'ephemerals_count', 'watch_count', 'global_sessions',
      'cnt_updatelatency', 'connection_request_count', 'commit_count', 'looking_count']) {
      expect({ key, value: actual.get(key) }).toEqual({ key, value: expected.get(key) });
    }
  });

  it('stat and cons show the asking connection as ZooKeeper does', async () => {
    // The connection a word arrives on: not read while answered, its one packet received.
    const brief = /^ \/127\.0\.0\.1:\d+(\[\d\]\(queued=\d+,recved=\d+,sent=\d+\))$/gm;
    const asking = '[0](queued=0,recved=1,sent=0)';
    for (const word of ['stat', 'cons']) {
      const [expected, actual] = await Promise.all([fourLetterWord(zookeeper!.port, word),
        fourLetterWord(corral!.port, word)]);
      const lines = (text: string) => [...text.matchAll(brief)].map((match) => match[1]);
      expect({ word, zookeeper: lines(expected).includes(asking) })
        .toEqual({ word, zookeeper: true });
      expect({ word, corral: lines(actual).includes(asking) }).toEqual({ word, corral: true });
    }
  });

  it('srst resets the counters and summaries as ZooKeeper\'s default provider does', async () => {
    await Promise.all([traffic(zookeeper!.port, '/r'), traffic(corral!.port, '/r')]);
    const answers = await Promise.all([fourLetterWord(zookeeper!.port, 'srst'),
      fourLetterWord(corral!.port, 'srst')]);
    expect(answers[1]).toBe(answers[0]);
    const [expected, actual] = await Promise.all([monitor(zookeeper!.port), monitor(corral!.port)]);
    // Emptied by srst, then touched only by mntr's own connection (its request bytes aside).
    for (const key of ['cnt_updatelatency', 'cnt_readlatency', 'connection_request_count',
      'commit_count', 'response_bytes', 'packets_sent', 'avg_latency', 'max_latency',
      'auth_failed_count', 'znode_count', 'global_sessions']) {
      expect({ key, value: actual.get(key) }).toEqual({ key, value: expected.get(key) });
    }
    expect(actual.get('cnt_updatelatency')).toBe('0');
  });
});
