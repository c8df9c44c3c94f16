"""The local credential: an admin token the server writes into its data dir (mode 0600) at every
start, so a CLI on the same machine, run by a user who can read that dir, needs no --token.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from pathlib import Path

from litmus_live.auth import credentials
from litmus_live.auth.identity import Role
from litmus_live.auth.store import IdentityStore

FILE_NAME = "local.token"


def name(node: str = "") -> str:
    """The name recorded for what the local CLI does: the account that runs the server (and, in a
    fleet, where nodes share one identity store, the node it serves)."""
    return f"local:{getpass.getuser()}" + (f"@{node}" if node else "")


async def issue(store: IdentityStore, data_dir: Path, node: str) -> None:
    """Replace the local token with a fresh one; the previous file stops working. In a shared
    store each node has its own, so that nodes do not revoke each other's."""
    mine = name(node if store.shared else "")
    secret = credentials.new_token()
    await store.revoke_token(mine)
    await store.add_token(mine, Role.ADMIN, credentials.digest(secret))
    data_dir.mkdir(parents=True, exist_ok=True)  # a fleet node keeps nothing else there
    path = data_dir / FILE_NAME
    temp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    temp.replace(path)


def read(data_dir: Path) -> str | None:
    try:
        return (data_dir / FILE_NAME).read_text().strip() or None
    except OSError:  # absent, or not ours to read: then there is no local credential
        return None


def token_for_cli(explicit: str | None, data_dir: Path) -> str | None:
    """The token a CLI verb sends: --token, else LITMUS_TOKEN, else the local credential."""
    return explicit or os.environ.get("LITMUS_TOKEN") or read(data_dir)
