"""Shared helpers for the kazoo interop scripts: connect to a server named on the command line
and print one JSON result line for the TypeScript suite to assert on. The suite names three
servers: in an ensemble a follower, the leader and the other follower, so a script's sessions
span replicas; standalone it names the one server three times."""

import json
import sys
import time

from kazoo.client import KazooClient


def hosts(server=0):
    """The server for a script's first (0), second (1) or third (2) session."""
    servers = sys.argv[1:]
    return servers[min(server, len(servers) - 1)]


def connect(server=0, **options):
    client = KazooClient(hosts=hosts(server), timeout=4.0, **options)
    client.start(timeout=10)
    return client


def close(*clients):
    for client in clients:
        client.stop()
        client.close()


def wait_until(predicate, timeout_seconds=5.0):
    """Polls predicate until it holds; returns whether it did within the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def text(data):
    return None if data is None else data.decode('utf-8')


def emit(result):
    print(json.dumps(result, sort_keys=True))
