"""Quota stats as kazoo reads them: the nodes zkCli's setquota writes, made by hand, then what
zookeeper_stats holds after each kind of write below the quota (read by the other sessions,
after a sync, so each replica's own copy is read), and the stats node's own stat."""

from kazoo.exceptions import NoNodeError

from common import close, connect, emit, text

writer, second, third = connect(), connect(1), connect(2)
stats_path = '/zookeeper/quota/kazoo-quota/zookeeper_stats'
readings = []


def read(label):
    values = []
    for client in (writer, second, third):
        client.sync(stats_path)
        values.append(text(client.get(stats_path)[0]))
    readings.append([label] + values)


writer.create('/kazoo-quota', b'abc')
writer.create('/kazoo-quota/a', b'hello')
writer.ensure_path('/zookeeper/quota/kazoo-quota')
writer.create('/zookeeper/quota/kazoo-quota/zookeeper_limits', b'count=10,bytes=-1')
writer.create(stats_path, b'count=0,bytes=0')
read('setquota')
stat_before = writer.exists(stats_path)
writer.create('/kazoo-quota/b/c', b'xy', makepath=True)
read('create with parents')
writer.set('/kazoo-quota/a', b'hi')
read('set')
writer.delete('/kazoo-quota/b', recursive=True)
read('delete recursive')
transaction = writer.transaction()
transaction.create('/kazoo-quota/t', b'1234')
transaction.set_data('/kazoo-quota', b'')
committed = transaction.commit()
read('transaction')
failing = writer.transaction()
failing.create('/kazoo-quota/u', b'12345678')
failing.delete('/kazoo-quota/missing')
failed = [type(result).__name__ for result in failing.commit()]
read('failed transaction')
ephemeral_owner = connect(1)
ephemeral_owner.create('/kazoo-quota/e', b'eph', ephemeral=True)
read('ephemeral')
close(ephemeral_owner)
read('ephemeral owner closed')
stat_after = writer.exists(stats_path)
writer.delete('/zookeeper/quota/kazoo-quota/zookeeper_limits')
writer.create('/kazoo-quota/after-delquota', b'zzz')
read('limits deleted')
try:
    writer.get('/zookeeper/quota/other/zookeeper_stats')
    missing = False
except NoNodeError:
    missing = True
close(writer, second, third)
emit({
    'readings': readings,
    'committed': [str(result) if isinstance(result, str) else type(result).__name__
                  for result in committed],
    'failed': failed,
    'statVersions': [stat_before.version, stat_after.version],
    'statMzxidIsCzxid': [stat_before.mzxid == stat_before.czxid,
                         stat_after.mzxid == stat_after.czxid],
    'statLengths': [stat_before.dataLength, stat_after.dataLength],
    'otherMissing': missing,
})
