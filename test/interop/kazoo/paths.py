"""kazoo path helpers: ensure_path, create(makepath=True), a non-recursive delete of a non-empty
node (NotEmptyError) and delete(recursive=True)."""

from kazoo.exceptions import NotEmptyError

from common import close, connect, emit

client = connect()
client.ensure_path('/kazoo-paths/a/b/c')
ensured = client.exists('/kazoo-paths/a/b/c') is not None
again = client.ensure_path('/kazoo-paths/a/b/c')
made = client.create('/kazoo-paths/x/y', b'deep', makepath=True)
made_data = client.get('/kazoo-paths/x/y')[0].decode('utf-8')
children = sorted(client.get_children('/kazoo-paths'))
try:
    client.delete('/kazoo-paths')
    not_empty = None
except NotEmptyError as error:
    not_empty = type(error).__name__
client.delete('/kazoo-paths', recursive=True)
emit({
    'ensured': ensured,
    'ensureAgain': again,
    'made': made,
    'madeData': made_data,
    'children': children,
    'notEmpty': not_empty,
    'goneAfterRecursive': client.exists('/kazoo-paths') is None,
})
close(client)
