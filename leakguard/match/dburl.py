"""Which connection-string credentials are not secrets: local hosts, documentation hosts, defaults.

pandas 2.2.3 was blocked on ``postgresql://postgres:postgres@localhost:5432/pandas`` in its tests: a
password equal to the user name, a well-known default, to the developer's own machine. Such a
string unlocks nothing anyone else can reach. This module reads the user, password and host out of
a URL (``scheme://user:password@host``), a netrc line, an ODBC / ADO.NET / JDBC key-value string
(``Server=...;User Id=...;Password=...``) or an Oracle thin URL (``user/password@host``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

# Passwords that installers, images and tutorials use by default (PostgreSQL's and MySQL's docker
# images, SQL Server's sa, Oracle's scott/tiger, RabbitMQ's guest...): not secrets when shipped.
DEFAULT_PASSWORDS = frozenset({
    b"postgres", b"postgresql", b"password", b"passwd", b"pass", b"root", b"admin", b"administrator",
    b"secret", b"changeme", b"test", b"testing", b"guest", b"mysql", b"mariadb", b"oracle", b"tiger",
    b"manager", b"system", b"sa", b"redis", b"rabbitmq", b"mongo", b"mongodb", b"user", b"default",
    b"demo", b"example", b"dev", b"development", b"local", b"docker", b"letmein", b"welcome", b"qwerty",
    b"toor", b"1234", b"12345", b"123456", b"12345678", b"password1", b"admin123", b"test123",
    b"pass123", b"pw", b"pwd", b"foo", b"bar", b"foobar", b"mypassword", b"mysecretpassword",
})

# Demonstration accounts documentation uses everywhere, with the suffix a password policy forces
# (Oracle's SCOTT schema, whose password is tiger; SQLAlchemy's tests use tiger^5HHH for SQL Server).
DEMO_LOGINS = {b"scott": b"tiger"}

# RFC 2606 / RFC 6761 names: documentation and local-only domains.
_RESERVED_NAME = re.compile(rb"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$")
_DOCUMENTATION_NETS = tuple(ipaddress.ip_network(net) for net in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # RFC 5737
    "2001:db8::/32",  # RFC 3849
))
# SQL Server's names for the local machine: "(local)", ".", "(localdb)\\MSSQLLocalDB".
_LOCAL_SQLSERVER = re.compile(rb"^(?:\(local\)|\.|\(localdb\).*)$")

_URL = re.compile(rb"^(?:jdbc:)?[A-Za-z][\w+.-]*://(?P<user>[^\s/:@]*):(?P<password>[^\s/@]*)@"
                  rb"(?P<host>\[[^\]\s]*\]|[^\s:/?#;,'\"<>]*)")
_ORACLE_THIN = re.compile(rb"thin:(?P<user>[^\s/@:]+)/(?P<password>[^\s@]+)@(?://)?(?P<host>[^\s:/]+)", re.I)
_NETRC = re.compile(rb"machine\s+(?P<host>\S+)(?:\s+login\s+(?P<user>\S+))?\s+password\s+(?P<password>[^\s'\"]+)")
_PAIR_VALUE = rb"\s*=\s*(\{[^}\r\n]*\}|[^;&'\"\r\n]*)"
_PASSWORD_PAIR = re.compile(rb"(?i)(?:^|[;?&\s])(?:password|pwd)" + _PAIR_VALUE)
_USER_PAIR = re.compile(rb"(?i)(?:^|[;?&\s])(?:user id|userid|user name|username|user|uid)" + _PAIR_VALUE)
_HOST_PAIR = re.compile(rb"(?i)(?:^|[;?&\s])(?:server|data source|datasource|host|hostname|address|addr|"
                        rb"network address)" + _PAIR_VALUE)
_AUTHORITY = re.compile(rb"://(?:[^\s/@]*@)?(\[[^\]\s]*\]|[^\s:/?#;,'\"<>]*)")


@dataclass(frozen=True, slots=True)
class Login:
    """The credentials a connection string holds and the host they are for (decoded, stripped)."""

    user: bytes
    password: bytes
    host: bytes


def _clean(value: bytes) -> bytes:
    value = value.strip()
    if value.startswith(b"{") and value.endswith(b"}"):  # ODBC quoting: {pa;ss}
        value = value[1:-1]
    return unquote_to_bytes(value)


def parse(text: bytes) -> Login | None:
    """The user, password and host of a connection string, or None if it has no password."""
    for form in (_URL, _ORACLE_THIN, _NETRC):
        match = form.search(text)
        if match is not None:
            user, password = match["user"] or b"", match["password"]
            if form is _URL and b"," in password:  # multi-host (scheme://h1:1,user:pw@h2): the last
                user, _, password = password.rpartition(b",")[2].partition(b":")
            return Login(_clean(user), _clean(password), match["host"])
    password = _PASSWORD_PAIR.search(text)
    if password is None:
        return None
    user = _USER_PAIR.search(text)
    host = _HOST_PAIR.search(text) or _AUTHORITY.search(text)
    return Login(_clean(user.group(1)) if user else b"", _clean(password.group(1)),
                 host.group(1).strip() if host else b"")


def _host_name(host: bytes) -> bytes:
    """``tcp:db.acme.io,1433`` or ``[::1]`` or ``db\\INSTANCE`` -> the bare host name, lower-case."""
    host = host.strip().lower()
    if host.startswith(b"tcp:"):
        host = host[4:]
    if host.startswith(b"["):
        return host[1:].partition(b"]")[0]
    if _LOCAL_SQLSERVER.match(host):
        return b"localhost"
    host = re.split(rb"[,\\]", host, maxsplit=1)[0]
    if host.count(b":") == 1:
        host = host.partition(b":")[0]
    return host.rstrip(b".")


def local_or_documentation(host: bytes) -> bool:
    """Loopback, the unspecified address, or a documentation or reserved-for-testing name or range."""
    name = _host_name(host)
    if not name or _RESERVED_NAME.search(name):
        return True
    try:
        address = ipaddress.ip_address(name.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return False
    if address.is_loopback or address.is_unspecified:
        return True
    return any(address in net for net in _DOCUMENTATION_NETS if net.version == address.version)


def _default_words(password: bytes) -> bool:
    """A phrase of default words only (``a secret``, ``my-password``)."""
    words = [w for w in re.split(rb"[^a-z0-9]+", password) if w]
    return len(words) > 1 and all(len(w) <= 2 or w in DEFAULT_PASSWORDS for w in words) and \
        any(w in DEFAULT_PASSWORDS for w in words)


def real_login(text: bytes) -> bool:
    """Could these credentials unlock a server someone else runs? Not when the password is the user
    name or a default, nor when the host is this machine or a documentation host. A string this
    module cannot read stays a finding (fail closed)."""
    login = parse(text)
    if login is None:
        return True
    password, user = login.password.lower(), login.user.lower()
    if not password or password == user or password in DEFAULT_PASSWORDS or _default_words(password):
        return False
    if user in DEMO_LOGINS and password.startswith(DEMO_LOGINS[user]):
        return False
    return not (login.host and local_or_documentation(login.host))
