"""Identity at the edge: who is asking (a signed-in person, a script's token, the local CLI) and
whether their role allows what they ask. session.py and api.py ask once per connection or
request and hand a typed `Identity` inward; nothing past them reads headers or cookies.
"""

from litmus_live.auth.gate import Gate
from litmus_live.auth.identity import Identity, Role, via_of
from litmus_live.auth.store import AuditEntry, IdentityStore, SqliteIdentityStore, TokenInfo, User, open_identity

__all__ = [
    "AuditEntry",
    "Gate",
    "Identity",
    "IdentityStore",
    "Role",
    "SqliteIdentityStore",
    "TokenInfo",
    "User",
    "open_identity",
    "via_of",
]
