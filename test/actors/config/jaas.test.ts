// JAAS login configuration parsing, on the file shapes Apache ZooKeeper's documentation shows for
// SASL DIGEST-MD5 and Kerberos, with comments and several sections.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../actors/config/config.js';
import { loadJaasServerUsers } from '../../../actors/config/jaas.js';
import { jaasServerUsers, parseJaasConfig } from '../../../protocol/config/jaas.js';

// The ZooKeeper programmer's guide / SASL wiki example for digest authentication.
const digestExample = `Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};`;

// The admin guide's server-to-server (quorum) and Kerberos shapes, with both comment styles.
const mixedExample = `
/* Quorum peers authenticate each other with their own sections. */
QuorumServer {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  user_test="test";
};
QuorumLearner {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  username="test"
  password="test";
};
// Kerberos for clients, digest for tools
Server {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true
  keyTab="/etc/zookeeper/conf/zookeeper.keytab"
  storeKey=true
  useTicketCache=false
  principal="zookeeper/zk1.example.com@EXAMPLE.COM";
  org.apache.zookeeper.server.auth.DigestLoginModule sufficient
  user_admin="se;cr\\"et" # a trailing comment
  user_ops="{braces} = fine";
};
`;

describe('JAAS login configuration', () => {
  it('extracts the Server section users of the digest example', () => {
    expect(jaasServerUsers(digestExample, 'jaas.conf')).toEqual(
      new Map([
        ['super', 'adminsecret'],
        ['bob', 'bobsecret'],
      ]),
    );
  });

  it('reads every section with its modules, flags and options', () => {
    const sections = parseJaasConfig(mixedExample, 'jaas.conf');
    expect([...sections.keys()]).toEqual(['QuorumServer', 'QuorumLearner', 'Server']);
    const server = sections.get('Server') ?? [];
    expect(server.map((module) => [module.className, module.flag])).toEqual([
      ['com.sun.security.auth.module.Krb5LoginModule', 'required'],
      ['org.apache.zookeeper.server.auth.DigestLoginModule', 'sufficient'],
    ]);
    expect(server[0]?.options.get('useKeyTab')).toBe('true');
    expect(server[0]?.options.get('principal')).toBe('zookeeper/zk1.example.com@EXAMPLE.COM');
  });

  it('takes users from every module of the Server section, quotes and escapes intact', () => {
    expect(jaasServerUsers(mixedExample, 'jaas.conf')).toEqual(
      new Map([
        ['admin', 'se;cr"et'],
        ['ops', '{braces} = fine'],
      ]),
    );
  });

  it('reads another section by name', () => {
    expect(jaasServerUsers(mixedExample, 'jaas.conf', 'QuorumServer')).toEqual(
      new Map([['test', 'test']]),
    );
  });

  it('accepts unquoted values, upper-case flags and a missing ";" after "}"', () => {
    const text = 'Server { Module REQUIRED user_a=plain; }';
    expect(jaasServerUsers(text, 'jaas.conf')).toEqual(new Map([['a', 'plain']]));
  });

  it('gathers a section named twice', () => {
    const text = 'Server { M required user_a="1"; };\nServer { M optional user_b="2"; };';
    expect([...jaasServerUsers(text, 'jaas.conf').keys()]).toEqual(['a', 'b']);
  });

  it.each([
    ['Client { M required username="x"; };', 'JAAS file /etc/jaas.conf has no "Server" section'],
    ['Server { M mandatory user_a="x"; };', '/etc/jaas.conf:1: "mandatory" is not required'],
    ['Server {\n M required user_a="x" };', ':2: expected an option name or ";", found "}"'],
    ['Server {\n M required\n user_a="x;\n};', '/etc/jaas.conf:3: unterminated quoted value'],
    ['Server { M required user_a= ; };', '/etc/jaas.conf:1: expected a value, found ";"'],
    ['Server M required;', '/etc/jaas.conf:1: expected "{", found "M"'],
    ['Server { M required user_a="x";', 'expected a login module class name, found end of file'],
  ])('rejects %j naming the file', (text, message) => {
    const parse = (): unknown => jaasServerUsers(text, '/etc/jaas.conf');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('loads a file from disk, and names a file it cannot read', () => {
    const directory = mkdtempSync(join(tmpdir(), 'corral-jaas-'));
    const path = join(directory, 'jaas.conf');
    writeFileSync(path, digestExample);
    expect(loadJaasServerUsers(path).get('super')).toBe('adminsecret');
    const missing = join(directory, 'missing.conf');
    expect(() => loadJaasServerUsers(missing)).toThrow(`cannot read JAAS file ${missing}`);
  });
});
