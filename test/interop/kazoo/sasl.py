"""kazoo SASL DIGEST-MD5 login against the server's JAAS users: the authenticated session owns a
sasl ACL, an anonymous session gets NoAuth, and a wrong password fails the login."""

from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

from common import close, connect, emit

try:
    import puresasl  # noqa: F401 -- kazoo needs pure-sasl for any SASL mechanism
except ImportError:
    emit({'skipped': 'python3-puresasl is not installed'})
    raise SystemExit(0)


def sasl(password):
    return {'mechanism': 'DIGEST-MD5', 'username': 'bob', 'password': password}


bob = connect(sasl_options=sasl('bobsecret'))
bob.create('/kazoo-sasl', b'bobs', acl=[ACL(Permissions.ALL, Id('sasl', 'bob'))])
acls, _ = bob.get_acls('/kazoo-sasl')
anonymous = connect(1)
# On another server than bob's, which may lag behind his create: sync first.
anonymous.sync('/kazoo-sasl')
try:
    anonymous_read = anonymous.get('/kazoo-sasl')[0].decode('utf-8')
except NoAuthError as error:
    anonymous_read = type(error).__name__
# ZooKeeper drops the connection on a failed SASL exchange; kazoo may report CONNECTED first and
# then fails the first request (or start() itself) with AuthFailedError.
intruder = None
try:
    intruder = connect(2, sasl_options=sasl('wrong'))
    intruder.get('/kazoo-sasl')
    wrong_login = 'read'
except Exception as error:
    wrong_login = type(error).__name__
if intruder is not None:
    intruder.stop()
emit({
    'acls': [[acl.perms, acl.id.scheme, acl.id.id] for acl in acls],
    'bobRead': bob.get('/kazoo-sasl')[0].decode('utf-8'),
    'anonymousRead': anonymous_read,
    'wrongLogin': wrong_login,
})
close(bob, anonymous)
