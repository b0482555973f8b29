// The shell's pure parts, as tables: zkCli's word splitting, commons-cli's flag parsing and its
// error words, Java's path checks and number parsing, and the texts the shell prints (stat, ACL
// ids, permission letters, watch events, client connection strings).

import { describe, expect, it } from 'vitest';
import { clientConfigText } from '../../cli/shell/commands-admin.js';
import { complete } from '../../cli/shell/completion.js';
import {
  formatAcl,
  formatStat,
  formatWatchedEvent,
  parseAcl,
  pathProblem,
  permString,
} from '../../cli/shell/formatting.js';
import {
  CliError,
  decodeJavaInt,
  parseFlags,
  parseJavaInt,
  splitWords,
  type OptionSpec,
} from '../../cli/shell/parser.js';

describe('shell words', () => {
  it.each([
    ['ls /', ['ls', '/']],
    ['  set   /a  "two words" ', ['set', '/a', 'two words']],
    // Two quoted words side by side are two words, as in zkCli.
    ["create /a 'it''s'", ['create', '/a', 'it', 's']],
    ['create /d ""', ['create', '/d', '']],
    ["reconfig -add '4=h:1:2;3'", ['reconfig', '-add', '4=h:1:2;3']],
  ])('splits %j', (line, words) => {
    expect(splitWords(line)).toEqual(words);
  });
});

const setOptions: OptionSpec[] = [
  { name: 's', takesValue: false, description: 'stats' },
  { name: 'v', takesValue: true, description: 'version' },
];

describe('shell flags (commons-cli DefaultParser)', () => {
  it.each([
    [['set', '/a', 'x', '-v', '3'], { v: '3' }, ['set', '/a', 'x']],
    [['set', '-sv3', '/a', 'x'], { s: '', v: '3' }, ['set', '/a', 'x']],
    [['set', '-v', '-1', '/a', 'x'], { v: '-1' }, ['set', '/a', 'x']],
    [['set', '--', '-s', 'x'], {}, ['set', '-s', 'x']],
  ])('parses %j', (words, flags, args) => {
    const parsed = parseFlags(words, setOptions);
    expect(Object.fromEntries(parsed.flags)).toEqual(flags);
    expect(parsed.args).toEqual(args);
  });

  it.each([
    [['set', '-q', '/a'],
      'org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -q'],
    [['set', '-sq', '/a'],
      'org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -sq'],
    [['set', '/a', '-v'],
      'org.apache.commons.cli.MissingArgumentException: Missing argument for option: v'],
  ])('refuses %j', (words, message) => {
    expect(() => parseFlags(words, setOptions)).toThrow(message);
  });

  it('refuses two flags of one group, and a required group left out', () => {
    const quota: OptionSpec[] = ['n', 'b'].map((name) =>
      ({ name, takesValue: true, description: `${name} quota` }));
    const group = { names: ['n', 'b'], required: true };
    expect(() => parseFlags(['setquota', '-n', '1', '-b', '2', '/a'], quota, group)).toThrow(
      "The option 'b' was specified but an option from this group has already been selected: 'n'",
    );
    expect(() => parseFlags(['setquota', '/a'], quota, group)).toThrow(
      'MissingOptionException: Missing required option: [-n n quota, -b b quota]',
    );
  });

  it.each([['12', 12], ['-1', -1], ['2147483648', undefined], ['x', undefined]])(
    'Integer.parseInt(%s)',
    (text, value) => {
      if (value === undefined) expect(() => parseJavaInt(text)).toThrow(CliError);
      else expect(parseJavaInt(text)).toBe(value);
    },
  );

  it.each([['10', 10], ['0x1f', 31], ['#10', 16], ['010', 8], ['-3', -3]])(
    'Integer.decode(%s)',
    (text, value) => {
      expect(decodeJavaInt(text)).toBe(value);
    },
  );
});

describe('shell texts', () => {
  it.each([
    ['/', false, undefined],
    ['a', false, 'Path must start with / character'],
    ['/a/', false, 'Path must not end with / character'],
    ['/a/', true, undefined],
    ['/a//b', false, 'Invalid path string "/a//b" caused by empty node name specified @3'],
    ['/a/../b', false, 'Invalid path string "/a/../b" caused by relative paths not allowed @4'],
    ['/a\u0001', false, 'Invalid path string "/a\u0001" caused by invalid character @2'],
  ])('path %j (sequential %s)', (path, sequential, problem) => {
    expect(pathProblem(path, sequential)).toBe(problem);
  });

  it('prints a stat as StatPrinter does', () => {
    const lines = formatStat({
      czxid: 3, mzxid: 0x1_0000_0004, ctime: 0, mtime: 1_796_554_088_959, version: 2,
      cversion: -1, aversion: 0, ephemeralOwner: -1n, dataLength: 5, numChildren: 0, pzxid: 3,
    });
    expect(lines).toEqual([
      'cZxid = 0x3', 'ctime = Thu Jan 01 00:00:00 UTC 1970', 'mZxid = 0x100000004',
      'mtime = Sun Dec 06 10:48:08 UTC 2026', 'pZxid = 0x3', 'cversion = -1', 'dataVersion = 2',
      'aclVersion = 0', 'ephemeralOwner = 0xffffffffffffffff', 'dataLength = 5',
      'numChildren = 0',
    ]);
  });

  it('reads and prints ACLs as AclParser and Id.toString do', () => {
    const warnings: string[] = [];
    const acl = parseAcl('world:anyone:cdrwa,digest:u:h=:rw,x:ip:1.2.3.4:rz,bad', (line) =>
      warnings.push(line));
    expect(acl.map(formatAcl)).toEqual([
      "'world,'anyone\n: cdrwa", "'digest,'u:h=\n: rw", "'x,'ip:1.2.3.4\n: r",
    ]);
    expect(warnings).toEqual(['Unknown perm type: z', 'bad does not have the form scheme:id:perm']);
    expect(permString(31)).toBe('cdrwa');
  });

  it('prints watch events as WatchedEvent.toString', () => {
    expect(formatWatchedEvent('SyncConnected', 'nodeDataChanged', '/a'))
      .toBe('WatchedEvent state:SyncConnected type:NodeDataChanged path:/a');
    expect(formatWatchedEvent('Closed', 'none', null))
      .toBe('WatchedEvent state:Closed type:None path:null');
  });

  it('gives config -c the servers\' client addresses', () => {
    const text = 'server.2=127.0.0.1:3:4:participant;127.0.0.1:2182\n' +
      'server.1=127.0.0.1:1:2:participant;2181\nversion=100000000\n';
    expect(clientConfigText(text)).toBe('100000000 0.0.0.0:2181,127.0.0.1:2182');
  });

  it('completes command names without a server', async () => {
    expect(await complete('getA', null)).toEqual([['getAcl', 'getAllChildrenNumber'], 'getA']);
    expect(await complete('ls /zoo', null)).toEqual([[], '/zoo']);
  });
});
