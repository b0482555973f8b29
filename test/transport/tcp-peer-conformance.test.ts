// Runs the shared transport conformance suite against both worlds — the memory network the
// simulator drives and TCP over loopback — so a machine sees the same events in either.
import { MemoryNetwork } from '../../transport/memory.js';
import { createTcpTransport, type TcpPeerAddress } from '../../transport/tcp-peer.js';
import type { Transport } from '../../transport/transport.js';
import { describeTransportConformance, type TransportWorld } from './transport-conformance.js';

function memoryWorld(): TransportWorld {
  const network = new MemoryNetwork();
  const transports: Transport[] = [];
  return {
    async start(id) {
      const transport = network.transport(id);
      transports.push(transport);
      return transport;
    },
    async pump() {
      network.deliverAll();
    },
    async dispose() {
      for (const transport of transports) transport.close();
    },
  };
}

function tcpWorld(): TransportWorld {
  // Filled as transports listen on kernel-chosen ports; the transport reads it at each dial.
  const peers = new Map<number, TcpPeerAddress>();
  const transports: Transport[] = [];
  return {
    async start(id) {
      const transport = await createTcpTransport({
        localId: id,
        listen: peers.get(id) ?? { host: '127.0.0.1', port: 0 },
        peers,
        reconnectBackoffMsBase: 10,
        reconnectBackoffMsMax: 100,
        handshakeTimeoutMs: 1_000,
      });
      peers.set(id, transport.address);
      transports.push(transport);
      return transport;
    },
    pump: () => new Promise((resolve) => setTimeout(resolve, 5)),
    async dispose() {
      for (const transport of transports) transport.close();
    },
  };
}

describeTransportConformance('memory', memoryWorld);
describeTransportConformance('tcp', tcpWorld);
