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

/** Drives the load under /<tag> on `port`; resolves once all four watches have fired. */
export async function driveLoad(port: number, tag: string): Promise<Load> {
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
