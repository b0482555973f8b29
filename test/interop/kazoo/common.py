"""Shared helpers for the kazoo interop scripts: connect to a server named on the command line
and print one JSON result line for the TypeScript suite to assert on. The suite names three
servers: in an ensemble a follower, the leader and the other follower, so a script's sessions
span replicas; standalone it names the one server three times."""

import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState, KeeperState



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


def failed_sasl_login(host, username, password='wrong'):
    """A SASL DIGEST-MD5 login that should fail: how it ended (the exception a request then
    raises: AuthFailedError; else the state it ended in) and how long that took.

    Not start(): it returns once the connection is up, before the SASL exchange, and then checks
    `connected`. When the failure lands between the two (a fast server, a busy machine) start()
    reports "Connection time-out" at once, and when it lands before start() waits, it waits its
    whole timeout. That race is kazoo's and ZooKeeper 3.8 meets it too; this checks the answer
    the server gives instead."""
    client = KazooClient(hosts=host, timeout=4.0, sasl_options={
        'mechanism': 'DIGEST-MD5', 'username': username, 'password': password})
    ended = threading.Event()
    endings = []

    def on_state(state):
        # LOST comes with AUTH_FAILED and with an expired session; the client's state says which
        # (it moves on to CLOSED soon after, so it is read here, in the transition).
        if state == KazooState.LOST and not ended.is_set():
            endings.append(client.client_state)
            ended.set()

    client.add_listener(on_state)
    started = time.monotonic()
    client.start_async()
    ended.wait(10)
    seconds = time.monotonic() - started
    outcome = endings[0] if endings else f'still {client.client_state}'
    client.stop()
    client.close()
    return ('AuthFailedError' if outcome == KeeperState.AUTH_FAILED else outcome), seconds
