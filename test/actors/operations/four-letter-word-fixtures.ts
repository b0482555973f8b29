// Replies captured from a real Apache ZooKeeper 3.8.0 (Debian 12 package) on 127.0.0.1: a
// standalone server (4lw.commands.whitelist=*, maxClientCnxns=0) with two node-zookeeper-client
// sessions that created /app, /app/eph, /app/eph2 and watched /app and /app/eph; a second
// standalone with the default whitelist; and a 3-server ensemble (server 1 follower, server 3
// leader) with one such session. The variable parts (ports, ids, times, counters) are rebuilt
// from the same values in four-letter-words.test.ts.

export const zooKeeperVersion = '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC';

const versionLine = `Zookeeper version: ${zooKeeperVersion}`;

export const standalone = {
  ruok: 'imok',
  isro: 'rw',
  crst: 'Connection stats reset.\n',
  srst: 'Server stats reset.\n',
  dirs: 'datadir_size: 67109337\nlogdir_size: 67109337\n',
  srvr: `${versionLine}\nLatency min/avg/max: 0/1.3/6\nReceived: 27\nSent: 27\nConnections: 3\n` +
    'Outstanding: 0\nZxid: 0xd\nMode: standalone\nNode count: 8\n',
  stat: `${versionLine}\nClients:\n /127.0.0.1:48048[1](queued=0,recved=7,sent=7)\n` +
    ' /127.0.0.1:48060[1](queued=0,recved=7,sent=7)\n' +
    ' /127.0.0.1:48074[0](queued=0,recved=1,sent=0)\n' +
    '\nLatency min/avg/max: 0/1.3/6\nReceived: 28\nSent: 28\nConnections: 3\nOutstanding: 0\n' +
    'Zxid: 0xd\nMode: standalone\nNode count: 8\n',
  cons: ' /127.0.0.1:48048[1](queued=0,recved=7,sent=7,sid=0x10000051ed10001,lop=EXIS,' +
    'est=1795459506883,to=30000,lcxid=0x5,lzxid=0x9,lresp=416076,llat=0,minlat=0,avglat=2,' +
    'maxlat=6)\n /127.0.0.1:48060[1](queued=0,recved=7,sent=7,sid=0x10000051ed10002,lop=EXIS,' +
    'est=1795459506951,to=30000,lcxid=0x5,lzxid=0xd,lresp=416131,llat=1,minlat=0,avglat=0,' +
    'maxlat=1)\n /127.0.0.1:48082[0](queued=0,recved=1,sent=0)\n\n',
  /** cons after crst: lcxid is left out and lzxid is -1 (Long.toHexString). */
  consAfterReset: ' /127.0.0.1:41156[0](queued=0,recved=1,sent=0)\n /127.0.0.1:40966[1]' +
    '(queued=0,recved=0,sent=0,sid=0x10000051ed10000,lop=NA,est=1795459435510,to=30000,' +
    'lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n',
  wchs: '2 connections watching 2 paths\nTotal watches:4\n',
  wchc: '0x10000051ed10001\n\t/app/eph\n\t/app\n0x10000051ed10002\n\t/app/eph\n\t/app\n\n',
  wchp: '/app/eph\n\t0x10000051ed10001\n\t0x10000051ed10002\n/app\n\t0x10000051ed10001\n' +
    '\t0x10000051ed10002\n\n',
  dump: 'SessionTracker dump:\nSession Sets (3)/(2):\n0 expire at Mon Nov 23 18:45:16 UTC 2026:\n' +
    '0 expire at Mon Nov 23 18:45:26 UTC 2026:\n2 expire at Mon Nov 23 18:45:38 UTC 2026:\n' +
    '\t0x10000051ed10002\n\t0x10000051ed10001\nephemeral nodes dump:\n' +
    'Sessions with Ephemerals (1):\n0x10000051ed10001:\n\t/app/eph2\n\t/app/eph\n' +
    'Connections dump:\nConnections Sets (4)/(3):\n0 expire at Mon Nov 23 18:45:10 UTC 2026:\n' +
    '1 expire at Mon Nov 23 18:45:20 UTC 2026:\n\tip: /127.0.0.1:48132 sessionId: 0x0\n' +
    '0 expire at Mon Nov 23 18:45:30 UTC 2026:\n2 expire at Mon Nov 23 18:45:40 UTC 2026:\n' +
    '\tip: /127.0.0.1:48048 sessionId: 0x10000051ed10001\n' +
    '\tip: /127.0.0.1:48060 sessionId: 0x10000051ed10002\n',
  conf: 'clientPort=23141\nsecureClientPort=-1\ndataDir=/tmp/zk4lw.qgKb/data/version-2\n' +
    'dataDirSize=67109337\ndataLogDir=/tmp/zk4lw.qgKb/data/version-2\ndataLogSize=67109337\n' +
    'tickTime=2000\nmaxClientCnxns=0\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n' +
    'clientPortListenBacklog=-1\nserverId=0\n',
  /** mntr up to zk_proposal_count; ZooKeeper then prints ~400 metrics-provider summaries. */
  mntr: [
    `zk_version\t${zooKeeperVersion}`, 'zk_server_state\tstandalone', 'zk_ephemerals_count\t2',
    'zk_num_alive_connections\t3', 'zk_avg_latency\t1.3', 'zk_outstanding_requests\t0',
    'zk_znode_count\t8', 'zk_global_sessions\t2', 'zk_non_mtls_remote_conn_count\t0',
    'zk_last_client_response_size\t84', 'zk_packets_sent\t38', 'zk_packets_received\t38',
    'zk_max_client_response_size\t103', 'zk_connection_drop_probability\t0.0',
    'zk_watch_count\t6', 'zk_auth_failed_count\t0', 'zk_min_latency\t0',
    'zk_max_file_descriptor_count\t20000', 'zk_approximate_data_size\t72',
    'zk_open_file_descriptor_count\t43', 'zk_local_sessions\t0', 'zk_uptime\t84655',
    'zk_max_latency\t6', 'zk_outstanding_tls_handshake\t0', 'zk_min_client_response_size\t16',
    'zk_non_mtls_local_conn_count\t0', 'zk_proposal_count\t0',
  ].join('\n') + '\n',
  envi: 'Environment:\n' + [
    `zookeeper.version=${zooKeeperVersion}`, 'host.name=localhost', 'java.version=17.0.15',
    'java.vendor=Debian', 'java.home=/usr/lib/jvm/java-17-openjdk-amd64',
    'java.class.path=/etc/zookeeper/conf:/usr/share/java/zookeeper.jar',
    'java.library.path=/usr/java/packages/lib:/usr/lib/x86_64-linux-gnu/jni', 'java.io.tmpdir=/tmp',
    'java.compiler=<NA>', 'os.name=Linux', 'os.arch=amd64', 'os.version=6.18.44-fc-v595',
    'user.name=root', 'user.home=/root', 'user.dir=/tmp/zk4lw.qgKb', 'os.memory.free=376MB',
    'os.memory.max=6028MB', 'os.memory.total=388MB',
  ].join('\n') + '\n',
};

/** A standalone server without 4lw.commands.whitelist: only srvr is answered. */
export const defaultWhitelist = {
  srvr: `${versionLine}\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\n` +
    'Outstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n',
  ruok: 'ruok is not executed because it is not in the whitelist.\n',
  stat: 'stat is not executed because it is not in the whitelist.\n',
  mntr: 'mntr is not executed because it is not in the whitelist.\n',
  isro: 'isro is not executed because it is not in the whitelist.\n',
  /** An unknown word is read as a length prefix (0x61626364), refused; no reply, then close. */
  abcd: '',
};

export const ensembleZooCfg = [
  'tickTime=2000', 'initLimit=10', 'syncLimit=5', 'dataDir=/tmp/zkens.HrzH/3/data/version-2',
  'clientPort=23153', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false',
  '4lw.commands.whitelist=*', 'server.1=127.0.0.1:23161:23171',
  'server.2=127.0.0.1:23162:23172', 'server.3=127.0.0.1:23163:23173;127.0.0.1:23153',
].join('\n');

export const leader = {
  srvr: `${versionLine}\nLatency min/avg/max: 0/0.0/0\nReceived: 2\nSent: 1\nConnections: 1\n` +
    'Outstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\n' +
    'Proposal sizes last/min/max: -1/-1/-1\n',
  stat: `${versionLine}\nClients:\n /127.0.0.1:46846[0](queued=0,recved=1,sent=0)\n\n` +
    'Latency min/avg/max: 0/0.0/0\nReceived: 9\nSent: 10\nConnections: 1\nOutstanding: 0\n' +
    'Zxid: 0x100000004\nMode: leader\nNode count: 8\nProposal sizes last/min/max: 94/48/94\n',
  dump: 'SessionTracker dump:\nSession Sets (2)/(1):\n0 expire at Mon Nov 23 18:45:30 UTC 2026:\n' +
    '1 expire at Mon Nov 23 18:45:32 UTC 2026:\n\t0x100000603320000\nephemeral nodes dump:\n' +
    'Sessions with Ephemerals (1):\n0x100000603320000:\n\t/app/eph2\n\t/app/eph\n' +
    'Connections dump:\nConnections Sets (2)/(1):\n0 expire at Mon Nov 23 18:45:10 UTC 2026:\n' +
    '1 expire at Mon Nov 23 18:45:20 UTC 2026:\n\tip: /127.0.0.1:46834 sessionId: 0x0\n',
  /** QuorumMaj.toString ends with `version=0` and no newline. */
  conf: 'clientPort=23153\nsecureClientPort=-1\ndataDir=/tmp/zkens.HrzH/3/data/version-2\n' +
    'dataDirSize=613\ndataLogDir=/tmp/zkens.HrzH/3/data/version-2\ndataLogSize=613\n' +
    'tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n' +
    'clientPortListenBacklog=-1\nserverId=3\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\n' +
    'electionPort=23173\nquorumPort=23163\npeerType=0\nmembership: \n' +
    'server.1=127.0.0.1:23161:23171:participant\nserver.2=127.0.0.1:23162:23172:participant\n' +
    'server.3=127.0.0.1:23163:23173:participant;127.0.0.1:23153\nversion=0',
  mntr: [
    `zk_version\t${zooKeeperVersion}`, 'zk_server_state\tleader',
    'zk_peer_state\tleading - broadcast', 'zk_ephemerals_count\t0',
    'zk_num_alive_connections\t1', 'zk_avg_latency\t0.0', 'zk_min_proposal_size\t-1',
    'zk_outstanding_requests\t0', 'zk_znode_count\t5', 'zk_global_sessions\t0',
    'zk_non_mtls_remote_conn_count\t0', 'zk_last_client_response_size\t-1', 'zk_packets_sent\t4',
    'zk_packets_received\t5', 'zk_max_proposal_size\t-1', 'zk_max_client_response_size\t-1',
    'zk_synced_followers\t2', 'zk_connection_drop_probability\t0.0', 'zk_watch_count\t0',
    'zk_synced_non_voting_followers\t0', 'zk_synced_observers\t0', 'zk_auth_failed_count\t0',
    'zk_min_latency\t0', 'zk_max_file_descriptor_count\t20000', 'zk_approximate_data_size\t198',
    'zk_open_file_descriptor_count\t46', 'zk_last_proposal_size\t-1', 'zk_pending_syncs\t0',
    'zk_leader_uptime\t12930', 'zk_local_sessions\t0', 'zk_uptime\t13061', 'zk_max_latency\t0',
    'zk_outstanding_tls_handshake\t0', 'zk_learners\t2', 'zk_min_client_response_size\t-1',
    'zk_non_mtls_local_conn_count\t0', 'zk_quorum_size\t3', 'zk_proposal_count\t0',
  ].join('\n') + '\n',
};

export const follower = {
  srvr: `${versionLine}\nLatency min/avg/max: 0/0.0/0\nReceived: 2\nSent: 1\nConnections: 1\n` +
    'Outstanding: 0\nZxid: 0x0\nMode: follower\nNode count: 5\n',
  cons: ' /127.0.0.1:53126[1](queued=0,recved=7,sent=7,sid=0x100000603320000,lop=EXIS,' +
    'est=1795459500272,to=30000,lcxid=0x5,lzxid=0x100000004,lresp=409497,llat=1,minlat=0,' +
    'avglat=6,maxlat=18)\n /127.0.0.1:34216[0](queued=0,recved=1,sent=0)\n\n',
  dump: 'SessionTracker dump:\nGlobal Sessions(1):\n0x100000603320000\t30000ms\n' +
    'ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x100000603320000:\n\t/app/eph2\n' +
    '\t/app/eph\nConnections dump:\nConnections Sets (3)/(2):\n' +
    '0 expire at Mon Nov 23 18:45:10 UTC 2026:\n1 expire at Mon Nov 23 18:45:20 UTC 2026:\n' +
    '\tip: /127.0.0.1:34212 sessionId: 0x0\n1 expire at Mon Nov 23 18:45:30 UTC 2026:\n' +
    '\tip: /127.0.0.1:53126 sessionId: 0x100000603320000\n',
  mntr: [
    `zk_version\t${zooKeeperVersion}`, 'zk_server_state\tfollower',
    'zk_peer_state\tfollowing - broadcast', 'zk_ephemerals_count\t0',
    'zk_num_alive_connections\t1', 'zk_avg_latency\t0.0', 'zk_outstanding_requests\t0',
    'zk_znode_count\t5', 'zk_global_sessions\t0', 'zk_non_mtls_remote_conn_count\t0',
    'zk_last_client_response_size\t-1', 'zk_packets_sent\t4', 'zk_packets_received\t5',
    'zk_max_client_response_size\t-1', 'zk_connection_drop_probability\t0.0',
    'zk_watch_count\t0', 'zk_auth_failed_count\t0', 'zk_min_latency\t0',
    'zk_max_file_descriptor_count\t20000', 'zk_approximate_data_size\t198',
    'zk_open_file_descriptor_count\t44', 'zk_local_sessions\t0', 'zk_uptime\t12453',
    'zk_max_latency\t0', 'zk_outstanding_tls_handshake\t0', 'zk_min_client_response_size\t-1',
    'zk_non_mtls_local_conn_count\t0', 'zk_quorum_size\t3', 'zk_proposal_count\t0',
  ].join('\n') + '\n',
};
