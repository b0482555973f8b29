// Reloads key and trust stores when their files change, as ZooKeeper's FileChangeWatcher does:
// it watches each store's directory (a certificate renewed by writing a new file and renaming it
// into place shows up there, not on the old file), waits for the writes to settle, and hands the
// new options to whoever serves TLS (`server.setSecureContext`). A store that fails to load (a
// half-written file) keeps the previous context in force and is reported.

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { loadTlsMaterial, secureContextOptions } from './material.js';
import type { TlsSettings } from './settings.js';

export interface TlsReloadListener {
  /** New options were loaded from the changed files. */
  reloaded(options: SecureContextOptions): void;
  /** The changed files could not be loaded; the previous options stay in force. */
  failed(error: Error): void;
}

/** How long after the last change event the stores are read (writers often write in pieces). */
const settleMs = 200;

/** The options `settings` give now, read from disk. */
export function loadSecureContextOptions(settings: TlsSettings): SecureContextOptions {
  return secureContextOptions(settings, loadTlsMaterial(settings));
}

/** Watches the stores of `settings`; call close() to stop. */
export class TlsFileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly settings: TlsSettings,
    private readonly listener: TlsReloadListener,
  ) {
    const files = [settings.keyStore?.location, settings.trustStore?.location]
      .filter((file): file is string => file !== undefined)
      .map((file) => resolve(file));
    const byDirectory = new Map<string, Set<string>>();
    for (const file of files) {
      const names = byDirectory.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      byDirectory.set(dirname(file), names);
    }
    for (const [directory, names] of byDirectory) {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        // Some platforms omit the name: reload to be sure, as ZooKeeper does on OVERFLOW.
        if (name === null || names.has(name.toString())) this.changed();
      });
      watcher.on('error', (error) => this.listener.failed(error));
      this.watchers.push(watcher);
    }
  }

  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), settleMs);
    this.timer.unref();
  }

  private reload(): void {
    if (this.closed) return;
    let options: SecureContextOptions;
    try {
      options = loadSecureContextOptions(this.settings);
    } catch (error) {
      this.listener.failed(error as Error);
      return;
    }
    this.listener.reloaded(options);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
  }
}
