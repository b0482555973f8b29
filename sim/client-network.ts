// The simulated clients' network: every client connection is an in-memory socket pair whose
// server end is attached to a replica's server core exactly as production's TCP listener
// attaches a socket (attachClientConnection). Bytes move only when the scheduler delivers them;
// a paused replica reads nothing and its timers wait, and a crashed one's connections close.

import { attachClientConnection } from '../actors/server/server.js';
import type {
  ClientConnection,
  ClientSocket,
  ConnectionClock,
  RequestQueueFactory,
} from '../actors/server/client-connection.js';
import { memorySocketPair, type MemoryClientSocket } from '../transport/memory-client-socket.js';
import type { Cluster } from './cluster.js';
import type { SeededRandom } from './random.js';
import type { SimReplica } from './replica-host.js';

/** One connection: which replica incarnation, its two ends, the server's side of it. */
interface ClientLink {
  replica: SimReplica;
  client: MemoryClientSocket;
  server: MemoryClientSocket;
  connection: ClientConnection;
}

/** The port replicas listen on, as ZooKeeper's default client port. */
const clientPort = 2181;
/** A paused replica's due timer looks again this often (it fires once the replica resumes). */
const pausedTimerRetryMs = 10;
/** Items handed to one end per delivery step at most (as peer deliveries take 1..3). */
const itemsPerDeliveryMax = 3;

export class ClientNetwork {
  private links: ClientLink[] = [];
  private nextClientPort = 40_000;

  constructor(
    private readonly cluster: Cluster,
    private readonly requestQueue: RequestQueueFactory | undefined = undefined,
  ) {}

  /** Opens a connection from client `clientId` to `replica`'s client port: the client's end. */
  connect(clientId: number, replica: SimReplica): MemoryClientSocket {
    const { client, server } = memorySocketPair({
      clientAddress: `10.0.0.${clientId}`,
      clientPort: this.nextClientPort++,
      serverAddress: `10.0.1.${replica.id}`,
      serverPort: clientPort,
    });
    const socket: ClientSocket = server;
    const connection = attachClientConnection(replica.core, socket, {
      clock: this.clockOf(replica),
      ...(this.requestQueue === undefined ? {} : { requestQueue: this.requestQueue }),
    });
    this.links.push({ replica, client, server, connection });
    return client;
  }

  /**
   * A crashed replica's process is gone: the system closes its sockets, so each client learns
   * of it on a later delivery, and nothing the dead core still settles reaches the wire or its
   * machine (the connection drops what it queued and held). Call right after a fault, before
   * the crash's rejected promises run.
   */
  closeCrashed(): void {
    for (const link of this.links) {
      if (this.isRunning(link.replica)) continue;
      link.server.destroy();
      link.connection.close();
    }
  }

  /** Ends with something to deliver now (a paused or crashed replica's ends read nothing). */
  private deliverableEnds(): MemoryClientSocket[] {
    // Forget connections over at both ends (a crashed replica's end is over with its process).
    this.links = this.links.filter(
      (link) => link.client.isOpen || (link.server.isOpen && this.isRunning(link.replica)),
    );
    const ends: MemoryClientSocket[] = [];
    for (const link of this.links) {
      if (link.client.deliverable > 0) ends.push(link.client);
      if (link.server.deliverable > 0 && this.isReachable(link.replica)) ends.push(link.server);
    }
    return ends;
  }

  /** One scheduler step: a few items to one end chosen by the seeded generator. */
  deliverSome(random: SeededRandom): number {
    const ends = this.deliverableEnds();
    if (ends.length === 0) return 0;
    return random.pick(ends).deliver(1 + random.int(itemsPerDeliveryMax));
  }

  /** Delivers everything deliverable now; what that makes the other ends send waits. */
  deliverAll(): number {
    let delivered = 0;
    for (const end of this.deliverableEnds()) delivered += end.deliver(end.deliverable);
    return delivered;
  }

  private isRunning(replica: SimReplica): boolean {
    return this.cluster.replicas.get(replica.id) === replica;
  }

  private isReachable(replica: SimReplica): boolean {
    return this.isRunning(replica) && !this.cluster.isPaused(replica.id);
  }

  /**
   * The connection's deadlines run on true time, but a paused replica's timers wait for it to
   * resume (its own clock stands still) and a crashed one's never fire.
   */
  private clockOf(replica: SimReplica): ConnectionClock {
    const clock = this.cluster.clock;
    return {
      setTimeout: (work, delayMs) => {
        const handle = { id: 0 };
        const fire = (): void => {
          if (!this.isRunning(replica)) return;
          const paused = this.cluster.isPaused(replica.id);
          if (paused) handle.id = clock.setTimeout(fire, pausedTimerRetryMs);
          else work();
        };
        handle.id = clock.setTimeout(fire, delayMs);
        return handle;
      },
      clearTimeout: (handle) => clock.clearTimeout((handle as { id: number }).id),
    };
  }
}
