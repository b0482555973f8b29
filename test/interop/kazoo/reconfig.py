"""kazoo's reconfig API against an ensemble with reconfigEnabled=true: adding an observer (server
4, already running with the members plus itself), bad input, a stale from_config, a client
without super auth, and removing the observer again. Arguments: a server's host:port, the super
user's password, and server 4's line. Prints one JSON line: each step's outcome, with the
configuration's server ids and roles (addresses and versions vary between runs)."""

import json
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

hosts, password, observer_line = sys.argv[1], sys.argv[2], sys.argv[3]


def members(data):
    """`server.N=host:q:e:role;client` lines → {N: role}; and the version."""
    roles = {}
    version = None
    for line in data.decode('utf-8').splitlines():
        if line.startswith('server.'):
            key, value = line.split('=', 1)
            roles[key.split('.')[1]] = value.split(';')[0].split(':')[3]
        elif line.startswith('version='):
            version = int(line.split('=', 1)[1], 16)
    return roles, version


def attempt(step):
    try:
        data, stat = step()
        roles, version = members(data)
        return {'roles': roles, 'version_is_mzxid': version == stat.mzxid,
                'node_version': stat.version}
    except KazooException as error:
        return {'error': type(error).__name__}


admin = KazooClient(hosts=hosts, timeout=4.0)
admin.start(timeout=10)
admin.add_auth('digest', 'super:' + password)
guest = KazooClient(hosts=hosts, timeout=4.0)
guest.start(timeout=10)

before, _ = admin.get('/zookeeper/config')
_, start_version = members(before)
result = {
    'add_observer': attempt(lambda: admin.reconfig(joining=observer_line, leaving=None,
                                                   new_members=None)),
    'bad_server_line': attempt(lambda: admin.reconfig(joining='server.9=nohost', leaving=None,
                                                      new_members=None)),
    'no_ports': attempt(lambda: admin.reconfig(joining='server.9=127.0.0.1:1:2', leaving=None,
                                               new_members=None)),
    'stale_from_config': attempt(lambda: admin.reconfig(joining=None, leaving='4',
                                                        new_members=None,
                                                        from_config=start_version)),
    'without_super': attempt(lambda: guest.reconfig(joining=None, leaving='4',
                                                    new_members=None)),
    # An id past 255 is a valid member (QuorumServer takes any long): the missing auth decides.
    'unknown_member_without_super': attempt(lambda: guest.reconfig(
        joining='server.999=0.0.0.0:1234:2345:observer;3456', leaving=None, new_members=None)),
    'no_voters_left': attempt(lambda: admin.reconfig(joining=None, leaving='1,2,3',
                                                     new_members=None)),
    'remove_observer': attempt(lambda: admin.reconfig(joining=None, leaving='4',
                                                      new_members=None)),
}
# What every client reads afterwards, through the guest's own session (after a sync).
guest.sync('/zookeeper/config')
after, _ = guest.get('/zookeeper/config')
result['final'] = members(after)[0]
print(json.dumps(result, sort_keys=True))
for client in (admin, guest):
    client.stop()
    client.close()
