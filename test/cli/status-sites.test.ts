// `corral status`'s SITE column as a table test: after ROLE once any replica reports a site
// (`-` for one that reports none, or does not answer), and absent when none does, so tables
// and scripts over an ensemble without sites stay as they were.
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../cli/status-command.js';
import type { ReplicaFigures } from '../../cli/status-figures.js';

const replica = (address: string, role: string, site?: string): ReplicaFigures =>
  ({ address, role, zxid: 0x100000002, ...(site === undefined ? {} : { site }) });

const cells = (table: string): string[][] =>
  table.split('\n').filter((line) => line !== '' && !line.startsWith('quorum:'))
    .map((line) => line.split(/ {2,}/).slice(0, 4));

describe('status: the SITE column', () => {
  it.each([
    ['every replica in a site', [replica('a:1', 'leader', 'eu'), replica('b:2', 'follower', 'us')],
      [['SERVER', 'ROLE', 'SITE', 'EPOCH'], ['a:1', 'leader', 'eu', '1'],
        ['b:2', 'follower', 'us', '1']]],
    ['one replica in none, one down', [replica('a:1', 'leader', 'eu'),
      replica('b:2', 'follower'), { address: 'c:3', role: 'down' }],
    [['SERVER', 'ROLE', 'SITE', 'EPOCH'], ['a:1', 'leader', 'eu', '1'],
      ['b:2', 'follower', '-', '1'], ['c:3', 'down', '-', '-']]],
    ['no sites at all', [replica('a:1', 'leader'), replica('b:2', 'follower')],
      [['SERVER', 'ROLE', 'EPOCH', 'ZXID'], ['a:1', 'leader', '1', '0x100000002'],
        ['b:2', 'follower', '1', '0x100000002']]],
  ])('%s', (_, replicas, expected) => {
    expect(cells(renderStatus(replicas, 0))).toEqual(expected);
  });
});
