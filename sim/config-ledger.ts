// Configuration agreement, beside the commit ledger's txn agreement: every replica that activates
// version v activates the same membership, which is the one the reconfig txn committed at zxid v
// carries, and nobody activates a configuration before it is committed. With every fault healed,
// the running members of the newest committed configuration all have it active. (Two
// configurations' quorums committing different txns at one zxid is the commit ledger's agreement.)
import type { ServerId } from '../protocol/peer.js';
import {
  membershipLines,
  memberIdsOf,
  type Membership,
  type VersionedMembership,
} from '../protocol/membership.js';
import { hex } from '../protocol/zxid.js';
import type { CommitLedger } from './invariants.js';

/** A membership's identity: its server, group and weight lines, in order. */
function textOf(membership: Membership): string {
  return membershipLines(membership).join(',');
}

/** Every activation any replica made, by version; violations go to the commit ledger. */
export class ConfigLedger {
  private readonly activated = new Map<number, { text: string; by: ServerId }>();
  /** Activations whose commit is still to be checked (see settle). */
  private pending: Array<{ id: ServerId; version: number; text: string }> = [];
  /** Activations the harness saw, for the run's summary. */
  activations = 0;

  /** The membership the ensemble started with: the only one version 0 may name. */
  private starting: string | undefined;

  constructor(private readonly ledger: CommitLedger) {}

  /**
   * The ensemble's starting membership. A replica that started with another view of version 0
   * (a spare: the members plus itself) takes this one from its leader's NEWLEADER; that is an
   * activation of version 0, committed by no txn, and it must be this membership.
   */
  setStarting(membership: Membership): void {
    this.starting = textOf(membership);
  }

  /** Replica `id` made `membership` its active configuration (told synchronously by its host). */
  record(id: ServerId, membership: VersionedMembership): void {
    this.activations++;
    const version = membership.version;
    const text = textOf(membership);
    if (version === 0 && this.starting !== undefined) {
      if (text !== this.starting) {
        this.ledger.violate(`config: replica ${id} activated a version 0 other than the start`);
      }
      return;
    }
    const known = this.activated.get(version);
    if (known === undefined) this.activated.set(version, { text, by: id });
    else if (known.text !== text) {
      this.ledger.violate(`config: ${known.by} and ${id} activated different ${hex(version)}`);
    }
    this.pending.push({ id, version, text });
  }

  /**
   * Checks the activations made since the last call against what is committed: called once the
   * step that made them has run its course, since a replica may activate in the transition that
   * commits (a leader serving once NEWLEADER is acknowledged, with its history in its tree) just
   * before the ledger hears of the commit. A version nobody committed by then was activated too
   * early: its txn may still be truncated, or never be committed.
   */
  settle(): void {
    const pending = this.pending;
    this.pending = [];
    for (const { id, version, text } of pending) this.checkCommitted(id, version, text);
  }

  private checkCommitted(id: ServerId, version: number, text: string): void {
    const committed = this.ledger.txnAt(version);
    if (committed === undefined) {
      this.ledger.violate(`config: replica ${id} activated ${hex(version)}, not committed`);
    } else if (committed.body.type !== 'reconfig') {
      this.ledger.violate(`config: replica ${id} activated ${hex(version)}, ` +
        `committed as ${committed.body.type}`);
    } else if (textOf(committed.body.membership) !== text) {
      this.ledger.violate(`config: replica ${id} activated ${hex(version)} other than committed`);
    }
  }

  /** The newest configuration the ledger has committed (undefined before any reconfig). */
  newestCommitted(): VersionedMembership | undefined {
    const txns = this.ledger.committedTxns();
    for (let index = txns.length - 1; index >= 0; index--) {
      const txn = txns[index]!;
      if (txn.body.type === 'reconfig') return { ...txn.body.membership, version: txn.zxid };
    }
    return undefined;
  }

  /**
   * After healing: each running member of the newest committed configuration has it active
   * (`active` gives a running replica's active membership).
   */
  checkAgreement(
    running: readonly ServerId[],
    active: (id: ServerId) => VersionedMembership,
  ): string[] {
    const newest = this.newestCommitted();
    if (newest === undefined) return [];
    const members = new Set(memberIdsOf(newest));
    const violations: string[] = [];
    for (const id of running) {
      if (!members.has(id)) continue;
      const version = active(id).version;
      if (version !== newest.version) {
        violations.push(`config: member ${id} has ${hex(version)} active after healing, ` +
          `newest committed ${hex(newest.version)}`);
      }
    }
    return violations;
  }
}
