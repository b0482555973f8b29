// A socket's bytes as a plain stream, starting with bytes already read from it. Port
// unification must read a connection's first byte to tell TLS from plaintext; `unshift` cannot
// give it back to TLS, because a TLSSocket over a net.Socket reads the socket's handle directly
// and never sees what waits in the JavaScript buffer. Over this stream (not a net.Socket), TLS
// reads through the stream API and gets the ClientHello whole.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export function replayingStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end();
      done();
    },
    destroy(error, done) {
      socket.destroy();
      done(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (error) => stream.destroy(error));
  socket.on('close', () => stream.destroy());
  return stream;
}
