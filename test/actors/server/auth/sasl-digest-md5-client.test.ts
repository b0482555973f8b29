// DIGEST-MD5 client (the quorum learner's side): a round trip against corral's DigestMd5Server and
// against the JDK's SaslServer (what ZooKeeper's SaslQuorumAuthServer runs), a wrong password
// refused by the server, and a server that does not know the password (or a tampered rspauth)
// refused by the client.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import {
  DigestMd5Client,
  SaslClientStateError,
  SaslMalformedChallengeError,
  SaslServerNotAuthenticatedError,
} from '../../../../actors/server/auth/sasl-digest-md5-client.js';
import {
  DigestMd5Server,
  digestMd5ResponseValue,
} from '../../../../actors/server/auth/sasl-digest-md5.js';
import { parseDirectives } from '../../../../actors/server/auth/sasl-directives.js';
import {
  SaslUnknownUserError,
  SaslWrongCredentialsError,
} from '../../../../actors/server/auth/sasl-errors.js';
import { hasJava } from './sasl-clients.js';

const quorum = { protocol: 'zookeeper-quorum', serverName: 'zk-quorum-sasl-md5' };
const users = new Map([['learner', 'learnersecret'], ['zoé', 'mot de passe']]);
const fixedRandom = (fill: number) => (count: number): Buffer => Buffer.alloc(count, fill);

function newServer(): DigestMd5Server {
  return new DigestMd5Server({ users, randomBytes: fixedRandom(1), ...quorum });
}

function newClient(username: string, password: string): DigestMd5Client {
  return new DigestMd5Client({ username, password, randomBytes: fixedRandom(2), ...quorum });
}

function directivesOf(token: Buffer): Map<string, string> {
  return new Map(parseDirectives(token).map(({ name, value }) => [name, value.toString()]));
}

describe('DigestMd5Client against DigestMd5Server', () => {
  it.each([['learner', 'learnersecret'], ['zoé', 'mot de passe']])(
    'authenticates %s both ways: the server completes, the client accepts rspauth',
    (username, password) => {
      const server = newServer();
      const client = newClient(username, password);
      const challenge = server.evaluate(Buffer.alloc(0)).challenge;
      const response = client.respond(challenge);
      const fields = directivesOf(response);
      expect(fields.get('digest-uri')).toBe('zookeeper-quorum/zk-quorum-sasl-md5');
      expect(fields.get('realm')).toBe('zk-quorum-sasl-md5');
      expect(fields.get('nc')).toBe('00000001');
      const evaluation = server.evaluate(response);
      expect(evaluation).toMatchObject({ complete: true, authorizationId: username });
      expect(client.isComplete).toBe(false);
      client.confirm(evaluation.challenge);
      expect(client.isComplete).toBe(true);
    },
  );

  it('is refused by the server with a wrong password', () => {
    const server = newServer();
    const client = newClient('learner', 'guess');
    const response = client.respond(server.evaluate(Buffer.alloc(0)).challenge);
    expect(() => server.evaluate(response)).toThrow(SaslWrongCredentialsError);
  });

  it('is refused by the server as an unknown user', () => {
    const server = newServer();
    const client = newClient('mallory', 'learnersecret');
    const response = client.respond(server.evaluate(Buffer.alloc(0)).challenge);
    expect(() => server.evaluate(response)).toThrow(SaslUnknownUserError);
  });

  it('refuses a tampered rspauth', () => {
    const server = newServer();
    const client = newClient('learner', 'learnersecret');
    const evaluation = server.evaluate(client.respond(server.evaluate(Buffer.alloc(0)).challenge));
    const token = Buffer.from(evaluation.challenge);
    token[token.length - 1] = token[token.length - 1] === 0x30 ? 0x31 : 0x30;
    expect(() => client.confirm(token)).toThrow(SaslServerNotAuthenticatedError);
    expect(client.isComplete).toBe(false);
  });

  it('refuses the rspauth of a server that does not know the password', () => {
    // An impostor accepts any response and answers with rspauth from a password it guessed.
    const client = newClient('learner', 'learnersecret');
    const nonce = 'MDEyMzQ1Njc4OWFiY2RlZg==';
    const response = directivesOf(client.respond(Buffer.from(
      `realm="zk-quorum-sasl-md5",nonce="${nonce}",qop="auth",charset=utf-8,algorithm=md5-sess`)));
    const guessed = digestMd5ResponseValue({
      method: '', digestUri: Buffer.from('zookeeper-quorum/zk-quorum-sasl-md5'), qop: 'auth',
      username: 'learner', realm: 'zk-quorum-sasl-md5', password: 'guess',
      nonce: Buffer.from(nonce), cnonce: Buffer.from(response.get('cnonce')!),
      authorizationId: undefined,
    });
    expect(() => client.confirm(Buffer.from(`rspauth=${guessed}`)))
      .toThrow(SaslServerNotAuthenticatedError);
  });

  it.each([
    ['no nonce', 'realm="r",qop="auth",charset=utf-8,algorithm=md5-sess'],
    ['no algorithm', 'realm="r",nonce="abc",qop="auth"'],
    ['algorithm md5', 'realm="r",nonce="abc",qop="auth",algorithm=md5'],
    ['only auth-conf', 'realm="r",nonce="abc",qop="auth-conf",algorithm=md5-sess'],
    ['two nonces', 'nonce="a",nonce="b",algorithm=md5-sess'],
    ['a non-ASCII nonce', 'nonce="caf\u00e9",algorithm=md5-sess'],
    ['an unterminated quote', 'nonce="abc,algorithm=md5-sess'],
  ])('refuses a challenge with %s', (_situation, text) => {
    const client = newClient('learner', 'learnersecret');
    expect(() => client.respond(Buffer.from(text))).toThrow(SaslMalformedChallengeError);
  });

  it('answers a challenge offering several qops and realms with auth and the first realm', () => {
    const client = newClient('learner', 'learnersecret');
    const response = directivesOf(client.respond(Buffer.from(
      'realm="first",realm="second",nonce="abc",qop="auth-int,auth",algorithm=md5-sess')));
    expect(response.get('realm')).toBe('first');
    expect(response.get('qop')).toBe('auth');
    expect(response.has('charset')).toBe(false);
  });

  it('takes one challenge and one rspauth, in that order', () => {
    const early = newClient('learner', 'learnersecret');
    expect(() => early.confirm(Buffer.from('rspauth=00'))).toThrow(SaslClientStateError);
    const twice = newClient('learner', 'learnersecret');
    const challenge = newServer().evaluate(Buffer.alloc(0)).challenge;
    twice.respond(challenge);
    expect(() => twice.respond(challenge)).toThrow(SaslClientStateError);
  });
});

// What SaslQuorumAuthServer does with the JDK: a DIGEST-MD5 SaslServer for protocol
// "zookeeper-quorum" and server name "zk-quorum-sasl-md5", the user's password from its
// QuorumServer section. Tokens travel as hex lines; it prints DONE <authorization id> or ERROR.
const javaServer = `
import javax.security.auth.callback.*;
import javax.security.sasl.*;
import java.io.*;
import java.util.HexFormat;

public class QuorumServer {
  public static void main(String[] args) throws Exception {
    String user = args[0];
    String password = args[1];
    CallbackHandler handler = callbacks -> {
      String name = null;
      for (Callback callback : callbacks) {
        if (callback instanceof NameCallback nc) name = nc.getDefaultName();
        else if (callback instanceof PasswordCallback pc) {
          if (user.equals(name)) pc.setPassword(password.toCharArray());
        } else if (callback instanceof RealmCallback rc) rc.setText(rc.getDefaultText());
        else if (callback instanceof AuthorizeCallback ac) {
          ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
          if (ac.isAuthorized()) ac.setAuthorizedID(ac.getAuthorizationID());
        }
      }
    };
    SaslServer server = Sasl.createSaslServer("DIGEST-MD5", "zookeeper-quorum",
        "zk-quorum-sasl-md5", null, handler);
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in));
    HexFormat hex = HexFormat.of();
    try {
      byte[] token = new byte[0];
      while (!server.isComplete()) {
        byte[] challenge = server.evaluateResponse(token);
        System.out.println("TOKEN " + hex.formatHex(challenge));
        System.out.flush();
        if (server.isComplete()) break;
        String line = input.readLine();
        if (line == null) return;
        token = hex.parseHex(line.trim());
      }
      System.out.println("DONE " + server.getAuthorizationID());
    } catch (SaslException error) {
      System.out.println("ERROR " + error.getMessage());
    }
  }
}
`;

/** Runs the client against the JDK server; returns the server's last line and the client. */
async function againstJdkServer(
  password: string,
): Promise<{ last: string; client: DigestMd5Client }> {
  const directory = mkdtempSync(join(tmpdir(), 'corral-quorum-sasl-'));
  const source = join(directory, 'QuorumServer.java');
  writeFileSync(source, javaServer);
  const child = spawn('java', [source, 'learner', 'learnersecret']);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const client = new DigestMd5Client({ username: 'learner', password, randomBytes, ...quorum });
  try {
    for (let step = 0; step < 4; step++) {
      const next = await lines.next();
      const line = next.done === true ? 'ERROR server exited' : next.value;
      if (!line.startsWith('TOKEN ')) return { last: line, client };
      const token = Buffer.from(line.slice('TOKEN '.length), 'hex');
      if (step === 0) child.stdin.write(`${client.respond(token).toString('hex')}\n`);
      else client.confirm(token);
    }
    return { last: 'ERROR too many steps', client };
  } finally {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
  }
}

describe.runIf(hasJava())('DigestMd5Client against the JDK SaslServer (ZooKeeper\'s)', () => {
  it('authenticates, and the JDK server\'s rspauth is accepted', async () => {
    const { last, client } = await againstJdkServer('learnersecret');
    expect(last).toBe('DONE learner');
    expect(client.isComplete).toBe(true);
  }, 20_000);

  it('is refused by the JDK server with a wrong password', async () => {
    const { last, client } = await againstJdkServer('guess');
    expect(last).toMatch(/^ERROR /);
    expect(client.isComplete).toBe(false);
  }, 20_000);
});
