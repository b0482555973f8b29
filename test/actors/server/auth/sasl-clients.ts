// Real, independent DIGEST-MD5 clients driven over a line protocol on stdin/stdout: Python's
// pure-sasl (what kazoo uses) and the JDK's SaslClient (what ZooKeeper's Java client uses). A
// client prints `TOKEN <hex>` to send a token, `COMPLETE` once it verified rspauth, or
// `ERROR <message>`; it reads each server challenge as one hex line.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  DigestMd5Server,
  SaslEvaluation,
} from '../../../../actors/server/auth/sasl-digest-md5.js';

export type ClientKind = 'puresasl' | 'java';

// The same loop kazoo runs in _authenticate_with_sasl: an empty first token, then one token
// per challenge until the mechanism reports completion.
const puresaslClient = `
import sys
from puresasl.client import SASLClient
user, password = sys.argv[1], sys.argv[2]
client = SASLClient('zk-sasl-md5', service='zookeeper', mechanism='DIGEST-MD5',
                    username=user, password=password)
challenge = None
try:
    while True:
        response = client.process(challenge)
        if client.complete and not response:
            print('COMPLETE', flush=True)
            break
        print('TOKEN ' + (response or b'').hex(), flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        challenge = bytes.fromhex(line.strip())
except Exception as error:
    print('ERROR ' + str(error).replace('\\n', ' '), flush=True)
`;

// What ZooKeeperSaslClient does: protocol "zookeeper", server name "zk-sasl-md5", the realm
// the server offers, an empty first token since DIGEST-MD5 has no initial response.
const javaClient = `
import javax.security.auth.callback.*;
import javax.security.sasl.*;
import java.io.*;
import java.util.HexFormat;

public class DigestClient {
  public static void main(String[] args) throws Exception {
    String user = args[0];
    String password = args[1];
    String authorizationId = args.length > 2 ? args[2] : null;
    CallbackHandler handler = callbacks -> {
      for (Callback callback : callbacks) {
        if (callback instanceof NameCallback name) name.setName(user);
        else if (callback instanceof PasswordCallback secret)
          secret.setPassword(password.toCharArray());
        else if (callback instanceof RealmCallback realm) realm.setText(realm.getDefaultText());
        else throw new UnsupportedCallbackException(callback);
      }
    };
    SaslClient client = Sasl.createSaslClient(new String[] {"DIGEST-MD5"}, authorizationId,
        "zookeeper", "zk-sasl-md5", null, handler);
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in));
    HexFormat hex = HexFormat.of();
    byte[] token = new byte[0];
    while (true) {
      System.out.println("TOKEN " + hex.formatHex(token));
      System.out.flush();
      String line = input.readLine();
      if (line == null) return;
      try {
        token = client.evaluateChallenge(hex.parseHex(line.trim()));
      } catch (SaslException error) {
        System.out.println("ERROR " + error.getMessage());
        return;
      }
      if (client.isComplete() && (token == null || token.length == 0)) {
        System.out.println("COMPLETE");
        return;
      }
    }
  }
}
`;

export const pythonPath = '/usr/bin/python3';

export function hasPuresasl(): boolean {
  return spawnSync(pythonPath, ['-c', 'import puresasl'], { stdio: 'ignore' }).status === 0;
}

export function hasJava(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

export class ClientProcess {
  private readonly lines: AsyncIterator<string>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static start(kind: ClientKind, user: string, password: string, authzid?: string): ClientProcess {
    const directory = mkdtempSync(join(tmpdir(), 'corral-sasl-'));
    const extra = authzid === undefined ? [] : [authzid];
    if (kind === 'puresasl') {
      const script = join(directory, 'digest_client.py');
      writeFileSync(script, puresaslClient);
      return new ClientProcess(spawn(pythonPath, [script, user, password, ...extra]));
    }
    const source = join(directory, 'DigestClient.java');
    writeFileSync(source, javaClient);
    return new ClientProcess(spawn('java', [source, user, password, ...extra]));
  }

  async read(): Promise<string> {
    const next = await this.lines.next();
    return next.done === true ? 'ERROR client exited' : next.value;
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

export interface ExchangeOutcome {
  /** Tokens the client sent, in order (the first is the empty initial token). */
  clientTokens: Buffer[];
  evaluations: SaslEvaluation[];
  clientResult: string;
  serverError?: unknown;
}

/**
 * Runs client and server against each other as ZooKeeper would relay the `sasl` packets;
 * `tamper` may replace a client token before the server sees it.
 */
export async function runExchange(
  server: DigestMd5Server,
  client: ClientProcess,
  tamper?: (token: Buffer, index: number) => Buffer,
): Promise<ExchangeOutcome> {
  const outcome: ExchangeOutcome = { clientTokens: [], evaluations: [], clientResult: '' };
  try {
    for (;;) {
      const line = await client.read();
      if (!line.startsWith('TOKEN')) {
        outcome.clientResult = line;
        return outcome;
      }
      const sent = Buffer.from(line.slice('TOKEN'.length).trim(), 'hex');
      outcome.clientTokens.push(sent);
      const token = tamper?.(sent, outcome.clientTokens.length - 1) ?? sent;
      try {
        const evaluation = server.evaluate(token);
        outcome.evaluations.push(evaluation);
        client.write(evaluation.challenge.toString('hex'));
      } catch (error) {
        outcome.serverError = error;
        return outcome;
      }
    }
  } finally {
    client.close();
  }
}
