// `corral shell` in a real terminal: tmux runs it in a pane on a private server (its own -L
// socket), keys are typed with send-keys and the screen read with capture-pane. The prompt, a
// command's output, Tab completion of a command and of a path, Up-arrow recall, history and
// redo, a watch event printed when another client changes the node, quit, and the history
// file read back by the next shell.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { corralMain, startCorral, type CorralServer } from '../support/corral.js';

const tmuxAvailable = spawnSync('tmux', ['-V']).status === 0;
const socket = `corral-shell-test-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

function screen(target: string): string {
  return tmux('capture-pane', '-p', '-J', '-t', target);
}

/** Polls the pane until `pattern` shows (bounded), returning the screen. */
async function waitFor(target: string, pattern: RegExp, timeoutMs = 8_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = screen(target);
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${pattern} did not appear; the screen:\n${text}`);
}

function prompt(count: number): RegExp {
  return new RegExp(`\\[zk: 127\\.0\\.0\\.1:\\d+\\(CONNECTED\\) ${count}\\] $`, 'm');
}

describe.skipIf(!tmuxAvailable)('corral shell in a terminal', () => {
  let corral: CorralServer;
  let other: Client;
  let dir: string;
  let historyFile: string;

  const startShell = (name: string): string => {
    // The exit code is printed by the pane's shell: tmux's own record of it can miss a
    // process that exits quickly.
    const command = [process.execPath, corralMain, 'shell', `127.0.0.1:${corral.port}`,
      '--history-file', historyFile].map((word) => `'${word}'`).join(' ') +
      '; echo "shell exited with $?"';
    tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '60', command);
    tmux('set-option', '-t', name, 'remain-on-exit', 'on');
    return `${name}:0.0`;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-shell-'));
    historyFile = join(dir, 'history');
    corral = await startCorral();
    other = await connect(`127.0.0.1:${corral.port}`);
  });

  afterAll(async () => {
    await other?.close();
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await corral?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prompts, completes, recalls, redoes, prints watch events and quits', async () => {
    const pane = startShell('first');
    await waitFor(pane, prompt(0));
    expect(screen(pane)).toContain('WatchedEvent state:SyncConnected type:None path:null');

    tmux('send-keys', '-t', pane, 'ls /', 'Enter');
    await waitFor(pane, /^\[zookeeper\]$/m);
    await waitFor(pane, prompt(1));

    // A command name, then a path below /zookeeper fetched from the server.
    tmux('send-keys', '-t', pane, 'getAllC', 'Tab');
    await waitFor(pane, /\) 1\] getAllChildrenNumber$/m);
    tmux('send-keys', '-t', pane, ' /zookeeper/qu', 'Tab');
    await waitFor(pane, /\) 1\] getAllChildrenNumber \/zookeeper\/quota$/m);
    tmux('send-keys', '-t', pane, 'Enter');
    await waitFor(pane, /getAllChildrenNumber \/zookeeper\/quota\n0\n/);
    await waitFor(pane, prompt(2));

    await other.create('/watched', 'v1');
    tmux('send-keys', '-t', pane, 'get -w /watched', 'Enter');
    await waitFor(pane, /^v1$/m);
    await waitFor(pane, prompt(3));
    await other.setData('/watched', 'v2');
    await waitFor(pane,
      /WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:\/watched\n/);

    // Up recalls the last command; run again it reads the new value.
    tmux('send-keys', '-t', pane, 'Up');
    await waitFor(pane, /\) 3\] get -w \/watched$/m);
    tmux('send-keys', '-t', pane, 'Enter');
    await waitFor(pane, /^v2$/m);
    await waitFor(pane, prompt(4));

    tmux('send-keys', '-t', pane, 'history', 'Enter');
    const listed = ['0 - ls /', '1 - getAllChildrenNumber /zookeeper/quota',
      '2 - get -w /watched', '3 - get -w /watched', '4 - history'].join('\n');
    await waitFor(pane, new RegExp(`^${listed}$`, 'm'));
    await waitFor(pane, prompt(5));
    tmux('send-keys', '-t', pane, 'redo 0', 'Enter');
    await waitFor(pane, /\) 5\] redo 0\n\[watched, zookeeper\]\n/);
    await waitFor(pane, prompt(6));

    tmux('send-keys', '-t', pane, 'quit', 'Enter');
    await waitFor(pane, /^shell exited with 0$/m);

    const typed = readFileSync(historyFile, 'utf8').split('\n').filter((line) => line !== '');
    expect(typed).toEqual([
      'ls /', 'getAllChildrenNumber /zookeeper/quota', 'get -w /watched', 'get -w /watched',
      'history', 'redo 0', 'quit',
    ]);

    // The next shell starts with that history: Up brings back the last line typed.
    const next = startShell('second');
    await waitFor(next, prompt(0));
    tmux('send-keys', '-t', next, 'Up', 'Up');
    await waitFor(next, /\) 0\] redo 0$/m);
    tmux('send-keys', '-t', next, 'C-u', 'quit', 'Enter');
    await waitFor(next, /^shell exited with 0$/m);
  });
});
