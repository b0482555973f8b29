// Server side of the SASL DIGEST-MD5 mechanism (RFC 2831, qop "auth" only) as Apache ZooKeeper
// runs it for `sasl` (opcode 102) packets: the JDK's DigestMD5Server created with protocol
// "zookeeper" and server name "zk-sasl-md5", users from the JAAS `Server` section. Pure: the
// nonce's randomness is provided, so the simulator can replay an exchange exactly.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Id } from '../../../protocol/records.js';
import { parseDirectives, quoted, type Directive } from './sasl-directives.js';
import {
  SaslExchangeFinishedError,
  SaslMalformedResponseError,
  SaslNonceMismatchError,
  SaslResponseTooLargeError,
  SaslUnknownUserError,
  SaslWrongCredentialsError,
} from './sasl-errors.js';

/** The protocol and server name ZooKeeper creates its DIGEST-MD5 SaslServer with. */
export const zookeeperSaslProtocol = 'zookeeper';
export const zookeeperSaslServerName = 'zk-sasl-md5';
export const saslScheme = 'sasl';
/** The JDK server refuses longer client tokens (DigestMD5Server.MAX_RESPONSE_LENGTH). */
export const digestMd5ResponseBytesMax = 4096;
/** 30 random bytes make a 40-character base64 nonce. */
const nonceRandomBytes = 30;
/** Each exchange authenticates once, so the only nonce-count a client may send is 1. */
const nonceCountHex = '00000001';

export interface DigestMd5ServerOptions {
  /** username → password, ZooKeeper's `user_NAME="password"` JAAS entries. */
  users: ReadonlyMap<string, string>;
  /** Defaults to the server name, as the JDK server does when no realm property is set. */
  realm?: string;
  serverName?: string;
  protocol?: string;
  randomBytes: (count: number) => Buffer;
}

export interface SaslEvaluation {
  /** The token to send back in the `sasl` reply (SetSASLResponse.token). */
  challenge: Buffer;
  /** True once the client is authenticated: add `sasl:<authorizationId>` to the connection. */
  complete: boolean;
  authorizationId?: string;
}

type Step = 'awaitingInitialToken' | 'awaitingDigestResponse' | 'finished';

/** Directives a digest-response may carry at most once; others are auth-params and ignored. */
const knownDirectives = new Set([
  'username', 'realm', 'nonce', 'cnonce', 'nc', 'qop', 'digest-uri', 'response', 'maxbuf',
  'charset', 'cipher', 'authzid',
]);

/** RFC 2831 §2.1.2.1 via the JDK: a string is hashed as ISO-8859-1 unless it cannot be. */
function latin1OrUtf8(text: string): Buffer {
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) > 0xff) return Buffer.from(text, 'utf8');
  }
  return Buffer.from(text, 'latin1');
}

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export interface ResponseValueInput {
  /** "AUTHENTICATE" for the client's response, "" for the server's rspauth. */
  method: 'AUTHENTICATE' | '';
  digestUri: Buffer;
  qop: string;
  username: string;
  realm: string;
  password: string;
  nonce: Buffer;
  cnonce: Buffer;
  authorizationId: Buffer | undefined;
}

/** RFC 2831 §2.1.2.1 response-value with algorithm md5-sess and qop auth (nonce-count 1). */
export function digestMd5ResponseValue(input: ResponseValueInput): string {
  const colon = Buffer.from(':');
  const userRealmPassword = md5(
    latin1OrUtf8(input.username), colon, latin1OrUtf8(input.realm), colon,
    latin1OrUtf8(input.password),
  );
  const a1Parts = [userRealmPassword, colon, input.nonce, colon, input.cnonce];
  if (input.authorizationId !== undefined) a1Parts.push(colon, input.authorizationId);
  const a1Hex = md5(...a1Parts).toString('hex');
  const a2Hex = md5(Buffer.from(`${input.method}:`), input.digestUri).toString('hex');
  const kd = `${a1Hex}:${input.nonce.toString('latin1')}:${nonceCountHex}:` +
    `${input.cnonce.toString('latin1')}:${input.qop}:${a2Hex}`;
  return md5(Buffer.from(kd, 'latin1')).toString('hex');
}

/** Indexes directives by name, refusing a known directive sent twice (RFC 2831: at most once). */
function indexDirectives(directives: readonly Directive[]): Map<string, Buffer> {
  const byName = new Map<string, Buffer>();
  for (const { name, value } of directives) {
    if (!knownDirectives.has(name)) continue;
    if (byName.has(name)) throw new SaslMalformedResponseError(`more than one ${name}`);
    byName.set(name, value);
  }
  return byName;
}

function required(fields: Map<string, Buffer>, name: string): Buffer {
  const value = fields.get(name);
  if (value === undefined) throw new SaslMalformedResponseError(`missing ${name}`);
  return value;
}

/** Ids ZooKeeper adds when SASL completes: `sasl:<id>`, then `super:` if zookeeper.superUser. */
export function saslAuthIds(authorizationId: string, superUser: string | undefined): Id[] {
  const ids: Id[] = [{ scheme: saslScheme, id: authorizationId }];
  if (superUser !== undefined && authorizationId === superUser) {
    ids.push({ scheme: 'super', id: '' });
  }
  return ids;
}

export class DigestMd5Server {
  readonly realm: string;
  readonly digestUri: string;
  private readonly users: ReadonlyMap<string, string>;
  private readonly randomBytes: (count: number) => Buffer;
  private step: Step = 'awaitingInitialToken';
  private nonce: Buffer = Buffer.alloc(0);
  private completed = false;

  constructor(options: DigestMd5ServerOptions) {
    const serverName = options.serverName ?? zookeeperSaslServerName;
    this.realm = options.realm ?? serverName;
    this.digestUri = `${options.protocol ?? zookeeperSaslProtocol}/${serverName}`;
    this.users = options.users;
    this.randomBytes = options.randomBytes;
  }

  /** True once a digest-response verified; stays true (a later token fails but undoes nothing). */
  get isComplete(): boolean {
    return this.completed;
  }

  /**
   * One step of the exchange. The first token (empty from every ZooKeeper client; a non-empty
   * one is ignored, as the JDK does not support subsequent authentication) yields the
   * digest-challenge; the second is the digest-response, answered with `rspauth=` and
   * completion. Anything after that, or any failure, ends the exchange for good.
   */
  evaluate(response: Buffer): SaslEvaluation {
    if (response.length > digestMd5ResponseBytesMax) {
      throw new SaslResponseTooLargeError(response.length, digestMd5ResponseBytesMax);
    }
    switch (this.step) {
      case 'awaitingInitialToken':
        this.step = 'awaitingDigestResponse';
        return { challenge: this.digestChallenge(), complete: false };
      case 'awaitingDigestResponse':
        try {
          const evaluation = this.verifyDigestResponse(response);
          this.completed = true;
          return evaluation;
        } finally {
          this.step = 'finished';
        }
      case 'finished':
        throw new SaslExchangeFinishedError();
    }
  }

  private digestChallenge(): Buffer {
    this.nonce = Buffer.from(this.randomBytes(nonceRandomBytes).toString('base64'), 'latin1');
    const directives = [
      `realm=${quoted(this.realm)}`,
      `nonce=${quoted(this.nonce.toString('latin1'))}`,
      'qop="auth"',
      'charset=utf-8',
      'algorithm=md5-sess',
    ];
    return Buffer.from(directives.join(','), 'utf8');
  }

  /** Checks a digest-response in the JDK's order and returns `rspauth` for the client. */
  private verifyDigestResponse(response: Buffer): SaslEvaluation {
    const fields = indexDirectives(parseDirectives(response));
    const charset = fields.get('charset')?.toString('utf8');
    if (charset !== undefined && charset !== 'utf-8') {
      throw new SaslMalformedResponseError(`incompatible charset ${charset}`);
    }
    const maxbuf = fields.get('maxbuf')?.toString('latin1');
    if (maxbuf !== undefined && !/^\d{1,9}$/.test(maxbuf)) {
      throw new SaslMalformedResponseError(`invalid maxbuf ${maxbuf}`);
    }
    const username = required(fields, 'username').toString('utf8');
    const realm = fields.get('realm')?.toString('utf8') ?? '';
    if (realm !== this.realm) throw new SaslMalformedResponseError(`nonexistent realm ${realm}`);
    if (!required(fields, 'nonce').equals(this.nonce)) throw new SaslNonceMismatchError();
    const cnonce = required(fields, 'cnonce');
    const nonceCount = fields.get('nc')?.toString('latin1') ?? nonceCountHex;
    if (!/^[0-9a-fA-F]{1,8}$/.test(nonceCount) || Number.parseInt(nonceCount, 16) !== 1) {
      throw new SaslMalformedResponseError(`nonce count ${nonceCount} is not 1`);
    }
    // Only "auth" was offered: no integrity or privacy layer is negotiated.
    const qop = fields.get('qop')?.toString('latin1') ?? 'auth';
    if (qop !== 'auth') throw new SaslMalformedResponseError(`unsupported qop ${qop}`);
    const digestUri = required(fields, 'digest-uri');
    if (digestUri.toString('utf8').toLowerCase() !== this.digestUri.toLowerCase()) {
      throw new SaslMalformedResponseError(`digest-uri ${digestUri} is not ${this.digestUri}`);
    }
    const clientResponse = required(fields, 'response');
    const authorizationId = fields.get('authzid');
    const password = this.users.get(username);
    if (password === undefined) throw new SaslUnknownUserError(username, realm);
    const input: ResponseValueInput = {
      method: 'AUTHENTICATE', digestUri, qop, username, realm, password, nonce: this.nonce,
      cnonce, authorizationId,
    };
    const expected = Buffer.from(digestMd5ResponseValue(input), 'latin1');
    if (clientResponse.length !== expected.length || !timingSafeEqual(clientResponse, expected)) {
      throw new SaslWrongCredentialsError(username);
    }
    const responseAuth = digestMd5ResponseValue({ ...input, method: '' });
    // ZooKeeper's SaslServerCallbackHandler authorizes any authzid but sets the authorized id to
    // the authentication id (the username), so the connection's id never comes from authzid.
    return { challenge: Buffer.from(`rspauth=${responseAuth}`), complete: true,
      authorizationId: username };
  }
}
