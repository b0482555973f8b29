// Why a SASL exchange failed. Every failure is a SaslAuthenticationError, which ZooKeeper answers
// with AuthFailed (-115) and a closed connection; the subclasses name the failure so logs and
// tests can tell a wrong password from a replayed or garbled response.

export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(`DIGEST-MD5: ${message}`);
    this.name = new.target.name;
  }
}

/** The client's token is longer than the mechanism accepts (the JDK server allows 4096 bytes). */
export class SaslResponseTooLargeError extends SaslAuthenticationError {
  constructor(readonly responseBytes: number, readonly responseBytesMax: number) {
    super(`response of ${responseBytes} bytes exceeds ${responseBytesMax}`);
  }
}

/** The digest-response does not parse, or a directive is missing, repeated or has a bad value. */
export class SaslMalformedResponseError extends SaslAuthenticationError {
  constructor(readonly detail: string) {
    super(`digest response format violation: ${detail}`);
  }
}

/** The response answers a nonce this server did not issue: a replay or a garbled token. */
export class SaslNonceMismatchError extends SaslAuthenticationError {
  constructor() {
    super('digest response format violation: mismatched nonce');
  }
}

/** The username is not among the configured users, so no password can be found for it. */
export class SaslUnknownUserError extends SaslAuthenticationError {
  constructor(readonly username: string, readonly realm: string) {
    super(`cannot acquire password for ${username} in realm : ${realm}`);
  }
}

/** The response hash is not the one the user's password gives: wrong password (or tampering). */
export class SaslWrongCredentialsError extends SaslAuthenticationError {
  constructor(readonly username: string) {
    super(`digest response format violation: mismatched response for ${username}`);
  }
}

/** A token arrived after the exchange already completed or failed: it cannot continue. */
export class SaslExchangeFinishedError extends SaslAuthenticationError {
  constructor() {
    super('server at illegal state: the exchange has already finished');
  }
}
