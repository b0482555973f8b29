"""kazoo SASL DIGEST-MD5 login against the server's JAAS users: the authenticated session owns a
sasl ACL, an anonymous session gets NoAuth, and a wrong password fails the login."""

from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

from common import close, connect, emit, failed_sasl_login, hosts

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
# A wrong password on a third server: AuthFailed, however the failure races kazoo's start().
wrong_login, _ = failed_sasl_login(hosts(2), 'bob')
emit({
    'acls': [[acl.perms, acl.id.scheme, acl.id.id] for acl in acls],
    'bobRead': bob.get('/kazoo-sasl')[0].decode('utf-8'),
    'anonymousRead': anonymous_read,
    'wrongLogin': wrong_login,
})
close(bob, anonymous)
