// A scripted ZooKeeper server in this process for client tests: it answers the handshake with a
// chosen session timeout, then hands each decoded request to the test, which replies as it likes
// (or not at all). Shared by the wire and connection-host tests.

import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../client/frame-decoder.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import {
  readConnectRequest,
  writeConnectResponse,
  type ConnectRequest,
  type ReplyHeader,
} from '../../protocol/records.js';
import { decodeRequest, type ClientRequest } from '../../protocol/requests.js';
import { encodeReply, type ResponseBody } from '../../protocol/responses.js';

export interface Received {
  xid: number;
  request: ClientRequest;
  socket: Socket;
}

export type Send = (header: ReplyHeader, body?: ResponseBody) => void;
export type Answer = (received: Received, send: Send) => void;

/** A scripted server: answers the handshake with `connect`, then each request with `answer`. */
export class FakeServer {
  readonly connects: ConnectRequest[] = [];
  readonly received: Received[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(answer: Answer, connectTimeoutMs = 6000) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      let handshaken = false;
      const decoder = new FrameDecoder(2 * 1024 * 1024, (payload) => {
        const reader = new JuteReader(payload);
        if (!handshaken) {
          handshaken = true;
          this.connects.push(readConnectRequest(reader));
          const writer = new JuteWriter();
          writeConnectResponse(writer, {
            protocolVersion: 0, timeout: connectTimeoutMs, sessionId: 0x1234n,
            password: Buffer.alloc(16, 9), readOnly: false,
          });
          socket.write(writer.frame());
          return;
        }
        const xid = reader.int();
        const received = { xid, request: decodeRequest(reader.int(), reader), socket };
        this.received.push(received);
        answer(received, (header, body = { kind: 'none' }) => {
          socket.write(encodeReply(header, body));
        });
      });
      socket.on('data', (chunk) => decoder.push(chunk));
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
