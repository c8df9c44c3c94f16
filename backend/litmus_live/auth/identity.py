"""Roles and the identity a request or connection carries past the edge."""

from __future__ import annotations

import enum

import msgspec

from litmus_live.events import Via


class Role(enum.StrEnum):
    """Each role may do what the ones before it may: viewer < operator < admin."""

    VIEWER = "viewer"  # sees runs
    OPERATOR = "operator"  # also launches, aborts, answers prompts
    ADMIN = "admin"  # also manages users and tokens, reads the audit log

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class Kind(enum.StrEnum):
    SESSION = "session"  # a person signed in from the browser (cookie)
    TOKEN = "token"  # a script's API token (Authorization: Bearer)
    LOCAL = "local"  # nobody is asked: --auth off, loopback only


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who is asking, as the server established it; `secret_hash` names the credential."""

    name: str
    role: Role
    kind: Kind
    secret_hash: str = ""

    @property
    def via(self) -> Via:
        return via_of(self.kind)

    def may(self, needed: Role) -> bool:
        return self.role.allows(needed)


def via_of(kind: Kind) -> Via:
    """`via` on a record follows from the credential, never from what the client says."""
    return Via.UI if kind is Kind.SESSION else Via.SCRIPT
