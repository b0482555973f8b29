// Tree broadcast's own frames (RELAY, RELAYED, RELAYPLAN, RELAYACKS) carry their fields by
// position, not by name: they exist to save bytes on the links between sites, and there a RELAY
// of a COMMIT was half field names. RELAYACKS goes further: a relay's batch nearly always holds
// one zxid for several followers, so it travels as groups `[zxid, id, id, ...]`. The named form
// (a map body, as every other frame has) is still read, so a frame from a replica that wrote it
// that way decodes the same.
import type { RelayedAck } from './peer.js';

/** The tree broadcast variants, whose bodies are positional on the wire. */
export const positionalTypes: ReadonlySet<string> =
  new Set(['relay', 'relayed', 'relayPlan', 'relayAcks']);

/** Most ACKs in one group or groups in one RELAYACKS: far beyond a site, bounded for a stranger. */
const relayedAcksMax = 100_000;

/** A relay's ACKs as `[[zxid, id, ...], ...]`, one group per zxid, first-seen order. */
export function packRelayedAcks(acks: readonly RelayedAck[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const { id, zxid } of acks) {
    const group = groups.get(zxid);
    if (group === undefined) groups.set(zxid, [zxid, id]);
    else group.push(id);
  }
  return [...groups.values()];
}

/**
 * The groups back as the list of `{ id, zxid }` the codec's field check then checks; what is not
 * a list of non-empty lists of numbers is returned as is, for that check to refuse.
 */
export function unpackRelayedAcks(value: unknown): unknown {
  if (!Array.isArray(value) || value.length > relayedAcksMax) return value;
  const acks: Array<{ id: unknown; zxid: unknown }> = [];
  for (const group of value) {
    if (!Array.isArray(group) || group.length < 2 || group.length > relayedAcksMax) return value;
    const [zxid, ...ids] = group as unknown[];
    for (const id of ids) acks.push({ id, zxid });
    if (acks.length > relayedAcksMax) return value;
  }
  return acks;
}
