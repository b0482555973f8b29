// Client side of SASL DIGEST-MD5 (RFC 2831, qop "auth" only), the mechanism ZooKeeper's quorum
// learners authenticate with (SaslQuorumAuthLearner, protocol "zookeeper-quorum", server name
// "zk-quorum-sasl-md5"): it answers the server's digest-challenge with a digest-response and then
// checks the server's rspauth, which proves the server knows the same password. Pure: the cnonce's
// randomness is provided.
import { timingSafeEqual } from 'node:crypto';
import { digestMd5ResponseValue, type ResponseValueInput } from './sasl-digest-md5.js';
import { parseDirectives, quoted, type Directive } from './sasl-directives.js';
import { SaslAuthenticationError } from './sasl-errors.js';

/** RFC 2831 §2.1.1: a digest-challenge is at most 2048 bytes. */
export const digestMd5ChallengeBytesMax = 2048;
/** 24 random bytes make a 32-character base64 cnonce. */
const cnonceRandomBytes = 24;
/** The only nonce-count a single authentication uses. */
const nonceCountHex = '00000001';
/** The largest security-layer buffer we announce; no layer is negotiated with qop auth. */
const maxbuf = 65536;

/** The server's digest-challenge cannot be answered: garbled, or offering nothing we speak. */
export class SaslMalformedChallengeError extends SaslAuthenticationError {
  constructor(readonly detail: string) {
    super(`digest challenge format violation: ${detail}`);
  }
}

/** The server's rspauth is missing or wrong: it does not know our password (or was tampered). */
export class SaslServerNotAuthenticatedError extends SaslAuthenticationError {
  constructor(readonly detail: string) {
    super(`server not authenticated: ${detail}`);
  }
}

/** A step out of order (rspauth before a challenge, a second challenge). */
export class SaslClientStateError extends SaslAuthenticationError {
  constructor(readonly detail: string) {
    super(`client at illegal state: ${detail}`);
  }
}

export interface DigestMd5ClientOptions {
  username: string;
  password: string;
  protocol: string;
  serverName: string;
  randomBytes: (count: number) => Buffer;
}

type Step = 'awaitingChallenge' | 'awaitingResponseAuth' | 'complete' | 'failed';

/** Directives a digest-challenge may carry at most once (realm may repeat: one per realm). */
const singleChallengeDirectives = new Set(['nonce', 'qop', 'stale', 'maxbuf', 'charset',
  'algorithm', 'cipher']);

function indexChallenge(directives: readonly Directive[]): {
  fields: Map<string, Buffer>;
  realms: Buffer[];
} {
  const fields = new Map<string, Buffer>();
  const realms: Buffer[] = [];
  for (const { name, value } of directives) {
    if (name === 'realm') {
      realms.push(value);
      continue;
    }
    if (!singleChallengeDirectives.has(name)) continue;
    if (fields.has(name)) throw new SaslMalformedChallengeError(`more than one ${name}`);
    fields.set(name, value);
  }
  return { fields, realms };
}

/** The directive parser names a response in its errors; here the server's challenge is at fault. */
function parseChallenge(challenge: Buffer): Directive[] {
  try {
    return parseDirectives(challenge);
  } catch (error) {
    const detail = error instanceof SaslAuthenticationError ? error.message : String(error);
    throw new SaslMalformedChallengeError(detail.replace(/^DIGEST-MD5: [^:]*: /, ''));
  }
}

export class DigestMd5Client {
  readonly digestUri: string;
  private step: Step = 'awaitingChallenge';
  /** What the response was computed from, kept to check rspauth against. */
  private sent: ResponseValueInput | undefined;

  constructor(private readonly options: DigestMd5ClientOptions) {
    this.digestUri = `${options.protocol}/${options.serverName}`;
  }

  /** True once the server's rspauth checked out: both ends know the password. */
  get isComplete(): boolean {
    return this.step === 'complete';
  }

  /**
   * The digest-response to the server's digest-challenge. Throws SaslMalformedChallengeError
   * for a challenge that cannot be answered; the exchange is then over.
   */
  respond(challenge: Buffer): Buffer {
    if (this.step !== 'awaitingChallenge') {
      this.step = 'failed';
      throw new SaslClientStateError('a second challenge');
    }
    this.step = 'failed';
    if (challenge.length > digestMd5ChallengeBytesMax) {
      throw new SaslMalformedChallengeError(`challenge of ${challenge.length} bytes`);
    }
    const { fields, realms } = indexChallenge(parseChallenge(challenge));
    const nonce = fields.get('nonce');
    if (nonce === undefined || nonce.length === 0) {
      throw new SaslMalformedChallengeError('no nonce');
    }
    // Every server's nonce is base64 or hex; one outside ASCII could not be echoed byte for byte.
    if (nonce.some((byte) => byte < 0x20 || byte > 0x7e)) {
      throw new SaslMalformedChallengeError('nonce is not printable ASCII');
    }
    const algorithm = fields.get('algorithm')?.toString('latin1');
    if (algorithm !== 'md5-sess') {
      throw new SaslMalformedChallengeError(`algorithm ${algorithm ?? '(none)'} is not md5-sess`);
    }
    // qop-options is a quoted comma list; RFC 2831 says "auth" when it is absent.
    const qops = (fields.get('qop')?.toString('latin1') ?? 'auth').split(',')
      .map((qop) => qop.trim());
    if (!qops.includes('auth')) {
      throw new SaslMalformedChallengeError(`qop ${qops.join(',')} does not offer auth`);
    }
    const charset = fields.get('charset')?.toString('latin1');
    if (charset !== undefined && charset !== 'utf-8') {
      throw new SaslMalformedChallengeError(`charset ${charset}`);
    }
    // The JDK client takes the first realm the server offers (ZooKeeper's server offers one).
    const realm = realms[0]?.toString('utf8') ?? '';
    const cnonce = Buffer.from(
      this.options.randomBytes(cnonceRandomBytes).toString('base64'), 'latin1');
    const input: ResponseValueInput = {
      method: 'AUTHENTICATE', digestUri: Buffer.from(this.digestUri, 'utf8'), qop: 'auth',
      username: this.options.username, realm, password: this.options.password, nonce, cnonce,
      authorizationId: undefined,
    };
    const directives = [
      ...(charset === undefined ? [] : ['charset=utf-8']),
      `username=${quoted(this.options.username)}`,
      `realm=${quoted(realm)}`,
      `nonce=${quoted(nonce.toString('latin1'))}`,
      `nc=${nonceCountHex}`,
      `cnonce=${quoted(cnonce.toString('latin1'))}`,
      `digest-uri=${quoted(this.digestUri)}`,
      `maxbuf=${maxbuf}`,
      `response=${digestMd5ResponseValue(input)}`,
      'qop=auth',
    ];
    this.sent = input;
    this.step = 'awaitingResponseAuth';
    // Username and realm may hold any Unicode: the directives go out as UTF-8 (charset=utf-8).
    return Buffer.from(directives.join(','), charset === undefined ? 'latin1' : 'utf8');
  }

  /** Checks the server's final token, `rspauth=<hex>`; throws unless it proves the password. */
  confirm(token: Buffer): void {
    const sent = this.sent;
    if (this.step !== 'awaitingResponseAuth' || sent === undefined) {
      this.step = 'failed';
      throw new SaslClientStateError('rspauth before a digest-response');
    }
    this.step = 'failed';
    let directives: Directive[];
    try {
      directives = parseDirectives(token);
    } catch {
      throw new SaslServerNotAuthenticatedError('garbled rspauth');
    }
    const responseAuth = directives.find((directive) => directive.name === 'rspauth')?.value;
    if (responseAuth === undefined) throw new SaslServerNotAuthenticatedError('no rspauth');
    const expected = Buffer.from(digestMd5ResponseValue({ ...sent, method: '' }), 'latin1');
    if (responseAuth.length !== expected.length || !timingSafeEqual(responseAuth, expected)) {
      throw new SaslServerNotAuthenticatedError('rspauth does not match our password');
    }
    this.step = 'complete';
  }
}
