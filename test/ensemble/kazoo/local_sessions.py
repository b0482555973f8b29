"""kazoo 2.8 against an ensemble with localSessionsEnabled: one client on a follower.

`python3 local_sessions.py HOST OTHER_HOST`: the client on HOST creates a persistent node and
then an ephemeral one, which upgrades its session (localSessionsUpgradingEnabled=true; kazoo 2.8
cannot take EphemeralOnLocalSession, -120); a second client on OTHER_HOST looks for the
ephemeral before and after the first client stops. Prints one JSON result line."""

import json
import sys

from kazoo.client import KazooClient


def outcome(call):
    try:
        call()
        return 'ok'
    except Exception as error:  # noqa: BLE001 - reported to the test by class and code
        code = getattr(error, 'code', None)
        return type(error).__name__ if code is None else f'{type(error).__name__} {code}'


def main(host, other_host):
    client = KazooClient(hosts=host, timeout=10.0)
    client.start(timeout=20)
    witness = KazooClient(hosts=other_host, timeout=10.0)
    witness.start(timeout=20)
    result = {
        'persistent': outcome(lambda: client.create('/kazoo-local-p', b'p')),
        'ephemeral': outcome(lambda: client.create('/kazoo-local-e', b'e', ephemeral=True)),
    }
    witness.sync('/kazoo-local-e')
    result['ephemeralSeen'] = witness.exists('/kazoo-local-e') is not None
    client.stop()
    client.close()
    witness.sync('/kazoo-local-e')
    result['ephemeralAfterStop'] = witness.exists('/kazoo-local-e') is not None
    witness.stop()
    witness.close()
    print(json.dumps(result, sort_keys=True), flush=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
