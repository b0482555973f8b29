"""Failed SASL DIGEST-MD5 logins against every server the suite names (in an ensemble a follower,
the leader and the other follower): each must end in AuthFailedError, promptly, never in a
connection loss, a retry loop or an expired session. A wrong password and an unknown user are tried alternately."""

import sys

from common import emit, failed_sasl_login

try:
    import puresasl  # noqa: F401 -- kazoo needs pure-sasl for any SASL mechanism
except ImportError:
    emit({'skipped': 'python3-puresasl is not installed'})
    raise SystemExit(0)

ATTEMPTS_PER_SERVER = 6

outcomes = {}
unexpected = []
for position, host in enumerate(sys.argv[1:4]):
    for attempt in range(ATTEMPTS_PER_SERVER):
        outcome, seconds = failed_sasl_login(host, 'bob' if attempt % 2 == 0 else 'mallory')
        key = f'server{position}:{outcome}'
        outcomes[key] = outcomes.get(key, 0) + 1
        if outcome != 'AuthFailedError' or seconds >= 2.0:
            unexpected.append(f'server{position} attempt {attempt}: {outcome} '
                              f'after {seconds:.2f} s')
emit({'outcomes': outcomes, 'unexpected': unexpected})
