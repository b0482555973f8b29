"""kazoo server_version(), which parses the `envi` four-letter word's zookeeper.version line."""

from common import close, connect, emit

client = connect()
version = client.server_version()
emit({'version': list(version)})
close(client)
