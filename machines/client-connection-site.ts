// The client connection machine's sites: where a reconnect starts and which server comes next
// when own-site servers lead the list, and the connected.awayFromSite state, which asks own-site
// servers while another site serves the client and moves the session home. Pure, as the machine.
import type {
  ClientConnectionContext,
  ProbeServerInput,
  ServerAddress,
} from './client-connection.js';

/** While connected outside its own site, the client asks its site's servers this often. */
export const siteProbeIntervalMsDefault = 10_000;

/**
 * Where the reconnect starts after losing the server at `lost`. ZooKeeper's rule is the next
 * server (the one just lost may be dead or frozen). With own-site servers at the head, the pass
 * starts at the head instead, so other sites come only after the whole own site failed, and the
 * lost server is tried last (nextServerIndex). A pure rule.
 */
export function serverAfterLoss(lost: number, serverCount: number, siteServerCount: number) {
  if (siteServerCount <= 0) return (lost + 1) % serverCount;
  return lost === 0 ? 1 % serverCount : 0;
}

/**
 * The server after `current` in a pass: the list in order, or, when a server was lost
 * (`lostServerIndex` ≥ 0, clients with a site), every other server in order and the lost one
 * last. A silent dead server costs a whole handshake timeout; a site whose servers all died
 * silently must leave the client time to reach another site within its session. A pure rule.
 */
export function nextServerIndex(current: number, lostServerIndex: number, serverCount: number) {
  if (lostServerIndex < 0) return (current + 1) % serverCount;
  if (current === lostServerIndex) return serverAfterLoss(lostServerIndex, serverCount, 1);
  const next = current + 1 === lostServerIndex ? current + 2 : current + 1;
  return next >= serverCount ? lostServerIndex : next;
}

/** After an own-site server did not answer 'rw': the next one, or wait for the next round. */
function nextSiteProbe() {
  return [
    { guard: 'isLastSiteServer', target: 'waiting', actions: 'advanceSiteProbe' },
    { target: 'probing', reenter: true, actions: 'advanceSiteProbe' },
  ] as const;
}

/**
 * Served read-write by another site (or an untagged server) while the own site may recover:
 * each round asks the own site's servers in turn; the first serving the quorum takes the session
 * back (a reconnect with the same id and password).
 */
export function awayFromSiteState() {
  return {
    entry: [{ type: 'reportState', params: { state: 'connected' } }, 'startSiteSearch'],
    initial: 'waiting',
    states: {
      waiting: { after: { siteProbe: { target: 'probing' } } },
      probing: {
        invoke: {
          id: 'probeSiteServer',
          src: 'probeSiteServer',
          input: ({ context }: { context: ClientConnectionContext }): ProbeServerInput => ({
            server: context.servers[context.siteProbeIndex] as ServerAddress,
          }),
          onDone: [
            {
              guard: 'isReadWriteAnswer',
              target: '#clientConnection.suspended',
              actions: ['moveToSiteServer', 'dropConnection'],
            },
            ...nextSiteProbe(),
          ],
          onError: nextSiteProbe(),
        },
      },
    },
  } as const;
}
