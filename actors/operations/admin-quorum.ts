// The admin server's views of the quorum (ZooKeeper's ZabStateCommand, VotingViewCommand,
// LeaderCommand): this replica's addresses, where it is in Zab, the voting members and who
// leads, with ZooKeeper 3.8's field names. Used by actors/admin-commands.ts.

import type { AdminResponse } from './admin-command-views.js';
import type { QuorumServerAddress } from '../config/config.js';
import { zxidHex } from './four-letter-word-reports.js';
import type { FourLetterSource } from './four-letter-words.js';

/** MultipleAddresses as Jackson shows it, for a server with one address per port. */
function addressView(host: string, port: number): AdminResponse {
  const address = `${host}:${port}`;
  return {
    empty: false,
    all_addresses: [address],
    all_reachable_addresses: [address],
    one: address,
    reachable_address: address,
    wildcard_addresses: [`0.0.0.0:${port}`],
    all_ports: [port],
    all_host_strings: [host],
    all_reachable_addresses_or_all: [address],
    reachable_or_one: address,
  };
}

/** A member's client address as ZooKeeper knows it: its server line's, or this server's own. */
function clientAddressOf(source: FourLetterSource, server: QuorumServerAddress): string {
  if (server.client !== undefined) return `${server.client.host}:${server.client.port}`;
  if (server.id !== source.serverId) return '';
  return `${source.config.clientPortAddress}:${source.config.clientPort}`;
}

/** ZabStateCommand: this replica's addresses and where it is in Zab. */
export function zabState(source: FourLetterSource): AdminResponse {
  const self = source.config.servers.get(source.serverId);
  if (source.role === 'standalone' || self === undefined || source.zabPhase === 'election') {
    return { voting: false, zabstate: '' };
  }
  return {
    myid: source.serverId,
    is_leader: source.role === 'leader',
    quorum_address: addressView(self.host, self.quorumPort),
    election_address: addressView(self.host, self.electionPort),
    client_address: clientAddressOf(source, self),
    voting: self.peerType === 'participant',
    last_zxid: `0x${zxidHex(source.zxid)}`,
    // A Java long, as ZooKeeper reports it (-1 before anything is known): split as 64 bits.
    zab_epoch: Number(BigInt.asUintN(64, source.zxid) >> 32n),
    zab_counter: Number(source.zxid & 0xffffffffn),
    zabstate: source.zabPhase ?? '',
  };
}

export function votingView(source: FourLetterSource): AdminResponse {
  const voters = [...source.config.servers.values()]
    .filter((server) => server.peerType === 'participant')
    .sort((left, right) => left.id - right.id);
  const view: AdminResponse = {};
  for (const server of voters) {
    view[String(server.id)] = {
      server_addresses: [`${server.host}:${server.quorumPort}`],
      election_addresses: [`${server.host}:${server.electionPort}`],
      client_address: clientAddressOf(source, server),
      learner_type: server.peerType,
      // corral's field, only for a member zoo.cfg puts in a site (site.N).
      ...siteField(source.config.sites.get(server.id)),
    };
  }
  return { current_config: view };
}

function siteField(site: string | undefined): AdminResponse {
  return site === undefined ? {} : { site };
}

export function leader(source: FourLetterSource): AdminResponse {
  if (source.role === 'standalone') return { error: 'server is not initialized' };
  const leaderId = source.leaderId;
  const leaderServer = leaderId === undefined ? undefined : source.config.servers.get(leaderId);
  return {
    is_leader: source.role === 'leader',
    leader_id: leaderId ?? -1,
    leader_ip: leaderServer?.host ?? '',
  };
}
