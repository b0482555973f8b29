// corral's own peerWireVersion: the zoo.cfg key (4 or 5, default 5), `--peer-wire-version` on
// `corral server` winning over it, `corral ensemble` relaying it to every replica, and each bad
// value refused naming the key or flag that holds it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, resolveConfig } from '../../actors/config/config.js';
import { addEnsembleOptions, replicaPeerWireArguments } from '../../cli/ensemble-command.js';
import { addServerOptions, buildServerConfig } from '../../cli/server-options.js';

const quiet = { info: () => undefined, warn: () => undefined };
const minimal = 'dataDir=/var/lib/corral\nclientPort=2181\n';
const directory = mkdtempSync(join(tmpdir(), 'corral-peer-wire-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('zoo.cfg peerWireVersion', () => {
  it.each([['', 5], ['peerWireVersion=4\n', 4], ['peerWireVersion=5\n', 5],
    ['peerWireVersion= 4 \n', 4]])('%j runs with peer wire version %i', (line, version) => {
    const partial = parseZooCfg(`${minimal}${line}`, 'zoo.cfg').config;
    expect(resolveConfig(partial, { log: quiet }).peerWireVersion).toBe(version);
  });

  it.each(['3', '6', 'five', '4.0', '-4', ''])('refuses peerWireVersion=%j naming the key',
    (value) => {
      const error = configErrorOf(() => parseZooCfg(`${minimal}peerWireVersion=${value}\n`,
        'zoo.cfg'));
      expect(error.key).toBe('peerWireVersion');
      expect(error.message).toContain('expected one of 4, 5');
    });

  it('refuses a value set in code with the same rule', () => {
    const partial = { ...parseZooCfg(minimal, 'zoo.cfg').config, peerWireVersion: 6 };
    expect(configErrorOf(() => resolveConfig(partial as never, { log: quiet })).key)
      .toBe('peerWireVersion');
  });
});

describe('--peer-wire-version', () => {
  const zooCfg = join(directory, 'zoo.cfg');
  writeFileSync(zooCfg, `${minimal}peerWireVersion=5\n`);

  it('is declared on corral server and corral ensemble', () => {
    const server = addServerOptions(new Command('server')).exitOverride();
    expect(server.parse(['--peer-wire-version', '4'], { from: 'user' }).opts())
      .toEqual({ peerWireVersion: '4' });
    const ensemble = addEnsembleOptions(new Command('ensemble')).exitOverride();
    const argv = ['--size', '3', '--base-port', '2181', '--peer-wire-version', '4'];
    expect(ensemble.parse(argv, { from: 'user' }).opts()).toMatchObject({ peerWireVersion: '4' });
  });

  it('wins over zoo.cfg, and leaves zoo.cfg\'s value when not given', () => {
    expect(buildServerConfig({ config: zooCfg, peerWireVersion: '4' }, quiet).peerWireVersion)
      .toBe(4);
    expect(buildServerConfig({ config: zooCfg }, quiet).peerWireVersion).toBe(5);
  });

  it('refuses a version corral does not speak, naming the flag', () => {
    const error = configErrorOf(() =>
      buildServerConfig({ config: zooCfg, peerWireVersion: '7' }, quiet));
    expect([error.key, error.message])
      .toEqual(['--peer-wire-version', 'invalid --peer-wire-version "7": expected one of 4, 5']);
  });

  it.each([
    [{}, []],
    [{ peerWireVersion: '4' }, ['--peer-wire-version', '4']],
  ])('an ensemble with %j runs each replica with %j', (flags, expected) => {
    expect(replicaPeerWireArguments(flags)).toEqual(expected);
  });

  it('an ensemble refuses a bad version before starting replicas, naming the flag', () => {
    expect(configErrorOf(() => replicaPeerWireArguments({ peerWireVersion: '9' })).key)
      .toBe('--peer-wire-version');
  });
});
