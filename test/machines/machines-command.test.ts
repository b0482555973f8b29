// `corral machines`: every catalogue entry is written as parseable JSON and a Mermaid diagram.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { machinesCommand } from '../../cli/machines-command.js';
import { machineCatalog } from '../../machines/index.js';

describe('machinesCommand', () => {
  let outDir: string;
  let printed: string;

  beforeEach(async () => {
    outDir = path.join(await mkdtemp(path.join(tmpdir(), 'corral-machines-')), 'export');
    printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(path.dirname(outDir), { recursive: true, force: true });
  });

  it('writes <name>.json and <name>.mmd for every machine into a new directory', async () => {
    await machinesCommand({ outDir });
    const files = (await readdir(outDir)).sort();
    const expected = machineCatalog.flatMap((entry) => [`${entry.name}.json`, `${entry.name}.mmd`]);
    expect(files).toEqual(expected.sort());

    for (const entry of machineCatalog) {
      expect(printed).toContain(entry.name);
      expect(printed).toContain(entry.description);
      const jsonText = await readFile(path.join(outDir, `${entry.name}.json`), 'utf8');
      const definition = JSON.parse(jsonText);
      expect(definition.id).toBe(entry.machine.id);
      const diagram = await readFile(path.join(outDir, `${entry.name}.mmd`), 'utf8');
      expect(diagram.startsWith('stateDiagram-v2\n')).toBe(true);
    }
  });

  it('keeps only implementation names in the session definition', async () => {
    await machinesCommand({ outDir });
    const text = await readFile(path.join(outDir, 'session.json'), 'utf8');
    const definition = JSON.parse(text);
    const timer = definition.states.live.on['xstate.after.sessionTimeout.session.live'][0];
    expect(timer).toMatchObject({
      delay: 'sessionTimeout',
      target: ['#session.expiring'],
      actions: [{ type: 'requestSessionClose', params: { reason: 'expired' } }],
    });
    expect(definition.states.expired).toMatchObject({
      type: 'final',
      entry: [{ type: 'notifyExpired' }],
    });
    expect(text).not.toContain('=>');
  });

  it('only prints the catalogue with list', async () => {
    await machinesCommand({ outDir, list: true });
    expect(printed).toContain('session');
    await expect(readdir(outDir)).rejects.toThrow();
  });
});
