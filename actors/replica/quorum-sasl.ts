// Quorum SASL as ZooKeeper runs it, for the peer transport: DIGEST-MD5 with protocol
// "zookeeper-quorum" and server name "zk-quorum-sasl-md5" (QuorumAuth's constants), the
// accepting replica's users from the JAAS QuorumServer section, the dialing replica's username
// and password from QuorumLearner. The transport only carries the tokens (tcp-peer-sasl.ts).
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { DigestMd5Client } from '../server/auth/sasl-digest-md5-client.js';
import { DigestMd5Server } from '../server/auth/sasl-digest-md5.js';
import type { PeerAuthenticator } from '../../transport/tcp-peer-sasl.js';

export const quorumSaslProtocol = 'zookeeper-quorum';
export const quorumSaslServerName = 'zk-quorum-sasl-md5';

export interface QuorumSaslCredentials {
  /** QuorumServer's `user_NAME="password"` entries: who may dial this replica. */
  users: ReadonlyMap<string, string>;
  /** QuorumLearner's `username` and `password`: who this replica is when it dials. */
  learner: { username: string; password: string };
  serverRequired: boolean;
  learnerRequired: boolean;
  /** Nonces; crypto's by default, a seeded source in a deterministic test. */
  randomBytes?: (count: number) => Buffer;
}

export function digestMd5PeerAuthenticator(credentials: QuorumSaslCredentials): PeerAuthenticator {
  const randomBytes = credentials.randomBytes ?? cryptoRandomBytes;
  const names = { protocol: quorumSaslProtocol, serverName: quorumSaslServerName };
  return {
    serverRequired: credentials.serverRequired,
    learnerRequired: credentials.learnerRequired,
    serverSession: () => {
      const server = new DigestMd5Server({ users: credentials.users, randomBytes, ...names });
      return {
        challenge: () => server.evaluate(Buffer.alloc(0)).challenge,
        verify: (response) => {
          const evaluation = server.evaluate(response);
          const user = evaluation.authorizationId;
          // DIGEST-MD5 completes in one response; anything else is not an authentication.
          if (!evaluation.complete || user === undefined) throw new Error('SASL did not complete');
          return { token: evaluation.challenge, user };
        },
      };
    },
    learnerSession: () => {
      const { username, password } = credentials.learner;
      const client = new DigestMd5Client({ username, password, randomBytes, ...names });
      return {
        respond: (challenge) => client.respond(challenge),
        confirm: (token) => client.confirm(token),
      };
    },
  };
}
