"""kazoo 2.8 against a replica serving read-only clients (readonlymode.enabled, quorum lost).

`python3 read_only.py refuse HOSTS`: a read_only=True client connects (CONNECTED_RO), reads, and
every write is refused NotReadOnly; a client without read_only never connects.
`python3 read_only.py move HOSTS`: a read_only=True client connects read-only, prints a `ready`
line, then waits (up to 60 s) for kazoo's r/w pinger to move it to a read-write server once the
quorum is back, and creates a node there. Each mode prints one JSON result line last."""

import json
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KeeperState


def emit(result):
    print(json.dumps(result, sort_keys=True), flush=True)


def refused(call):
    try:
        call()
        return 'accepted'
    except NotReadOnlyCallError:
        return 'NotReadOnly'
    except Exception as error:  # noqa: BLE001 - reported to the test as its class name
        return type(error).__name__


def refuse(hosts):
    client = KazooClient(hosts=hosts, timeout=4.0, read_only=True)
    client.start(timeout=10)
    state = client.client_state
    data, _ = client.get('/ro')
    transaction = client.transaction()
    transaction.set_data('/ro', b'no')
    result = {
        'state': state,
        'data': data.decode('utf-8'),
        'exists': client.exists('/ro') is not None,
        'children': sorted(client.get_children('/')),
        'set': refused(lambda: client.set('/ro', b'no')),
        'create': refused(lambda: client.create('/ro-new', b'no')),
        'delete': refused(lambda: client.delete('/ro')),
        'sync': refused(lambda: client.sync('/ro')),
        'multi': refused(transaction.commit),
    }
    client.stop()
    client.close()
    plain = KazooClient(hosts=hosts, timeout=4.0)
    try:
        plain.start(timeout=3)
        result['plain'] = plain.client_state
    except KazooTimeoutError:
        result['plain'] = 'timeout'
    finally:
        plain.stop()
        plain.close()
    emit(result)


def move(hosts):
    client = KazooClient(hosts=hosts, timeout=4.0, read_only=True)
    states = []
    client.add_listener(lambda state: states.append(str(state)))
    client.start(timeout=10)
    first = client.client_state
    emit({'ready': first})
    deadline = time.monotonic() + 60
    while client.client_state != KeeperState.CONNECTED and time.monotonic() < deadline:
        time.sleep(0.05)
    result = {'first': first, 'last': client.client_state}
    if client.client_state == KeeperState.CONNECTED:
        client.create('/ro-kazoo', b'kazoo after')
        result['data'] = client.get('/ro-kazoo')[0].decode('utf-8')
    result['listener'] = list(states)
    client.stop()
    client.close()
    emit(result)


if __name__ == '__main__':
    {'refuse': refuse, 'move': move}[sys.argv[1]](sys.argv[2])
