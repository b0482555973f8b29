"""Resumes the held session by its id and password (as a client does after a server restart)
and reports whether it got that session back and the ephemerals it holds. Exits without
closing the session, so it stays live (and its ephemerals stay) for the next step."""

import json
import os
import sys

from kazoo.client import KazooClient

session_id = int(sys.argv[2])
password = bytes.fromhex(sys.argv[3])
client = KazooClient(hosts=sys.argv[1], timeout=30.0, client_id=(session_id, password))
client.start(timeout=15)
resumed = client.client_id[0] == session_id
members = client.get_children('/app/members')
owner = str(client.exists('/app/lock').ephemeralOwner)
print(json.dumps({'resumed': resumed, 'members': members, 'lockOwner': owner}), flush=True)
os._exit(0)
