// What the dashboard's browser tests share: Debian's Chromium driven by playwright-core (never a
// downloaded browser), with a fresh profile and every request that is not to 127.0.0.1 blocked
// and remembered (the tests assert none was attempted); `corral dashboard` run as a process; and
// screenshots kept under test-artifacts/dashboard/, named by step.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { corralMainJs, corralRoot, until } from '../cli/ensemble-process.js';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumMissing = existsSync(chromiumPath)
  ? undefined
  : `${chromiumPath} is absent (apt-get install chromium; .ci/run installs it)`;
/** A describe title's tail saying why its tests are skipped here, if they are. */
export const skipNote = chromiumMissing === undefined ? '' : ` (skipped: ${chromiumMissing})`;
export const artifactDirectory = join(corralRoot, 'test-artifacts', 'dashboard');

const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

export class DashboardBrowser {
  /** Every request the page tried to send off this machine (blocked). */
  readonly foreignRequests: string[] = [];
  /** Errors the page threw or logged, for failure messages. */
  readonly pageErrors: string[] = [];

  private constructor(
    private readonly context: BrowserContext,
    private readonly profile: string,
    readonly page: Page,
  ) {}

  static async launch(): Promise<DashboardBrowser> {
    const profile = mkdtempSync(join(tmpdir(), 'corral-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags,
      viewport: { width: 1400, height: 900 },
    });
    const page = context.pages()[0] ?? await context.newPage();
    const browser = new DashboardBrowser(context, profile, page);
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      browser.foreignRequests.push(url.href);
      return route.abort('blockedbyclient');
    });
    page.on('pageerror', (error) => browser.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') browser.pageErrors.push(message.text());
    });
    return browser;
  }

  /** Opens the dashboard and waits for the page to say it has its info and first messages. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.waitForSelector('body[data-ready="true"]',
      { state: 'attached', timeout: 10_000 });
  }

  async screenshot(step: string): Promise<void> {
    mkdirSync(artifactDirectory, { recursive: true });
    await this.page.screenshot({ path: join(artifactDirectory, `${step}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}

/** `corral dashboard …` as a process; its URL from the line it prints. */
export class DashboardProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const take = (chunk: Buffer): void => {
      this.output = `${this.output}${chunk.toString()}`.slice(-100_000);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static start(args: readonly string[]): DashboardProcess {
    return new DashboardProcess(spawn(process.execPath, [corralMainJs, 'dashboard', ...args],
      { cwd: corralRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  report(): string {
    return this.output;
  }

  async url(): Promise<string> {
    const pattern = /open (http:\/\/127\.0\.0\.1:\d+\/)/;
    await until(() => pattern.test(this.output), 10_000, () => this.output);
    return pattern.exec(this.output)![1]!;
  }

  /** SIGTERM, as an operator stops it; the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
    }
    return this.exited;
  }
}
