"""First start: with no admin who can sign in, there is an `admin` and a one-time link for it.

The link (Jupyter-style) is printed where `make run` shows it; it signs the browser in once.
A password set later (`litmus-live users passwd admin`) ends this: no link is printed again.
"""

from __future__ import annotations

import json
import logging

from litmus_live.auth.gate import Gate
from litmus_live.auth.identity import Role
from litmus_live.auth.store import IdentityStore

log = logging.getLogger(__name__)
FIRST_ADMIN = "admin"


async def offer_sign_in_link(store: IdentityStore, gate: Gate) -> str | None:
    """The sign-in link printed at this start, or None when an admin has a password."""
    users = await store.users()
    if any(u.role is Role.ADMIN and u.has_password for u in users):
        return None
    admins = [u.name for u in users if u.role is Role.ADMIN]
    if not admins:
        await store.add_user(FIRST_ADMIN, Role.ADMIN, None)
        admins = [FIRST_ADMIN]
    url = f"{gate.public_url}/api/session/link/{gate.mint_link(admins[0])}"
    banner = (
        f"\n    No admin has a password yet. Sign in as {json.dumps(admins[0])} once, within 24 hours, at:\n\n"
        f"        {url}\n\n"
        f"    then set a password: litmus-live users passwd {admins[0]} --data-dir DATA_DIR\n"
    )
    print(banner, flush=True)
    return url
