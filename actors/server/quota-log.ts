// The leader's log of quota limits that writes passed (ZooKeeperServer.checkQuota logs each as
// "Quota exceeded: …" when enforceQuota is on), with ZooKeeper's RateLogger rule: the same
// message again within 100 ms is not logged again.
import type { Logger } from 'pino';
import { quotaExceededMessage, type QuotaExceeded } from '../../tree/quota.js';

const repeatIntervalMs = 100;

export class QuotaLog {
  private lastMessage = '';
  private lastLoggedAtMs = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  report(exceeded: readonly QuotaExceeded[] | undefined): void {
    for (const limit of exceeded ?? []) {
      const message = quotaExceededMessage(limit);
      const nowMs = this.now();
      if (message === this.lastMessage && nowMs - this.lastLoggedAtMs < repeatIntervalMs) continue;
      this.lastMessage = message;
      this.lastLoggedAtMs = nowMs;
      this.logger.warn({ quota: limit.quotaPath, hard: limit.hard }, message);
    }
  }
}
