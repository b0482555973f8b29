// The small client load the live metrics comparison drives on a ZooKeeper and a corral server
// alike: a quota, creates (one ephemeral, one past the quota's hard limit), a setData, reads,
// one watch of each kind fired and the session renewed on a new connection, so every metric
// these touch has observations on both.
import { expect } from 'vitest';
import type { ClientRequest } from '../../../protocol/requests.js';
import { createRequest } from '../../support/ensemble-requests.js';
import { RawClient } from '../../server/raw-client.js';

/** The session the load leaves open (its ephemeral lives until `close`). */
export interface Load {
  close: () => void;
}

/** A persistent create of `path` holding `data`. */
function dataCreate(path: string, data: string): ClientRequest {
  const request = createRequest(path);
  if (request.kind === 'create') request.data = Buffer.from(data);
  return request;
}

/**
 * Waits until the server on `port` has applied the create of `path`. ZooKeeper checks a quota in
 * its leader's prepare step, against the leader's applied tree, while a follower answers its
 * client once it has applied the COMMIT itself: the leader's own apply can still be pending then
 * (it commits to the followers first), so a next create through the follower can pass a hard
 * limit the previous one reached. corral checks quotas as every replica applies, in zxid order.
 */
async function appliedOn(port: number, path: string): Promise<void> {
  const reader = await RawClient.open(port);
  try {
    const session = await reader.handshake();
    if (session === 'closed') throw new Error(`no session on ${port}`);
    const deadline = Date.now() + 10_000;
    for (let xid = 1; ; xid += 1) {
      const reply = await reader.call(xid, { kind: 'exists', path, watch: false }, 10_000);
      if (reply.header.err === 0) return;
      if (Date.now() > deadline) throw new Error(`${path} not applied on ${port} in 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    reader.destroy();
  }
}

/**
 * Drives the load under /<tag> on `port`; resolves once all four watches have fired. With
 * `leaderPort` (a follower's load), the create that must pass the quota's hard limit waits until
 * the leader has applied the one before it (see appliedOn).
 */
export async function driveLoad(port: number, tag: string, leaderPort?: number): Promise<Load> {
  const client = await RawClient.open(port);
  const session = await client.handshake();
  if (session === 'closed' || session.timeout === 0) throw new Error(`no session on ${port}`);
  let xid = 0;
  const call = async (request: ClientRequest, err = 0): Promise<void> => {
    const reply = await client.call(++xid, request, 10_000);
    const step = `${request.kind} ${'path' in request ? request.path : ''} on ${port}`;
    expect({ step, err: reply.header.err }).toEqual({ step, err });
  };
  const root = `/${tag}`;
  // A quota on /<tag> first (as setquota makes it): at most 3 znodes, refused past that.
  const quota = `/zookeeper/quota/${tag}`;
  await call(createRequest(quota));
  await call(dataCreate(`${quota}/zookeeper_limits`, 'count=-1,bytes=-1,countHardLimit=3'));
  await call(dataCreate(`${quota}/zookeeper_stats`, 'count=0,bytes=0'));
  await call(createRequest(root));
  const ephemeral = createRequest(`${root}/ephemeral`);
  if (ephemeral.kind === 'create') ephemeral.flags = 1;
  await call(ephemeral);
  await call({ kind: 'getData', path: root, watch: true });
  await call({ kind: 'getChildren', path: root, watch: true });
  // NoNode, with a watch for its creation.
  await call({ kind: 'exists', path: `${root}/later`, watch: true }, -101);
  await call({ kind: 'setData', path: root, data: Buffer.from('changed'), version: -1 });
  await call(createRequest(`${root}/later`));
  // The fourth znode under the quota: QuotaExceeded with enforceQuota.
  if (leaderPort !== undefined) await appliedOn(leaderPort, `${root}/later`);
  await call(createRequest(`${root}/refused`), -125);
  await call({ kind: 'getData', path: `${root}/later`, watch: true });
  await call({ kind: 'delete', path: `${root}/later`, version: -1 });
  await call({ kind: 'getData', path: root, watch: false });
  await call({ kind: 'multiRead', ops: [{ kind: 'getData', path: root, watch: false },
    { kind: 'getChildren', path: root, watch: false }] });
  // NodeDataChanged, NodeChildrenChanged, NodeCreated, NodeDeleted.
  const events = await client.waitForEvents(4, 10_000);
  expect({ tag, port, events: events.length }).toEqual({ tag, port, events: 4 });
  // The session renewed on a second connection, as a client reconnecting does (a learner asks
  // its leader to revalidate it).
  const again = await RawClient.open(port);
  const { sessionId, password } = session;
  const renewed = await again.handshake({ sessionId, password });
  const renewedId = renewed === 'closed' ? 'closed' : renewed.sessionId;
  expect({ tag, port, renewed: renewedId }).toEqual({ tag, port, renewed: sessionId });
  return {
    close: () => {
      client.destroy();
      again.destroy();
    },
  };
}
