"""kazoo digest authentication: auth_data at connect and add_auth later, a digest ACL as the
server stores it, and NoAuth for sessions without (or with wrong) credentials."""

from kazoo.exceptions import NoAuthError
from kazoo.security import make_digest_acl, make_digest_acl_credential

from common import close, connect, emit

owner = connect(auth_data=[('digest', 'alice:secret')])
owner.create('/kazoo-digest', b'private', acl=[make_digest_acl('alice', 'secret', all=True)])
acls, _ = owner.get_acls('/kazoo-digest')


def read_as(client):
    # A session on another server than the owner's may lag behind its create: sync first.
    client.sync('/kazoo-digest')
    try:
        return client.get('/kazoo-digest')[0].decode('utf-8')
    except NoAuthError as error:
        return type(error).__name__


anonymous = connect(1)
wrong = connect(2, auth_data=[('digest', 'alice:guess')])
late = connect(2)
before_add = read_as(late)
late.add_auth('digest', 'alice:secret')
emit({
    'acls': [[acl.perms, acl.id.scheme, acl.id.id] for acl in acls],
    'expectedId': make_digest_acl_credential('alice', 'secret'),
    'owner': read_as(owner),
    'anonymous': read_as(anonymous),
    'wrongPassword': read_as(wrong),
    'beforeAddAuth': before_add,
    'afterAddAuth': read_as(late),
})
close(owner, anonymous, wrong, late)
