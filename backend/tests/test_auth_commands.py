"""litmus-live users | tokens against a real data dir (and a running server's)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from conftest import Server

from litmus_live.auth import local


def litmus(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "litmus_live.cli", *args], input=stdin, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_a_token_is_printed_once_as_the_last_line_and_never_listed(tmp_path: Path) -> None:
    made = litmus("tokens", "create", "--name", "line-3", "--role", "operator", "--data-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("llt_") and len(secret) > 40
    listed = litmus("tokens", "list", "--data-dir", str(tmp_path))
    assert "line-3\toperator" in listed.stdout and secret not in listed.stdout
    assert secret not in (tmp_path / "identity.sqlite3").read_bytes().decode(errors="replace")
    again = litmus("tokens", "create", "--name", "line-3", "--role", "viewer", "--data-dir", str(tmp_path))
    assert again.returncode == 1 and "exists" in again.stderr


def test_revoking_an_unknown_token_names_the_known_ones(tmp_path: Path) -> None:
    litmus("tokens", "create", "--name", "wallboard", "--role", "viewer", "--data-dir", str(tmp_path))
    refused = litmus("tokens", "revoke", "wallbord", "--data-dir", str(tmp_path))
    assert refused.returncode == 1 and "no token named wallbord;" in refused.stderr and "wallboard" in refused.stderr
    assert litmus("tokens", "revoke", "wallboard", "--data-dir", str(tmp_path)).returncode == 0
    assert "wallboard" not in litmus("tokens", "list", "--data-dir", str(tmp_path)).stdout


def test_users_are_added_with_a_password_from_stdin_listed_and_removed(tmp_path: Path) -> None:
    added = litmus("users", "add", "ada", "--role", "operator", "--password-stdin", "--data-dir", str(tmp_path),
                   stdin="correct horse\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "ada\toperator" in litmus("users", "list", "--data-dir", str(tmp_path)).stdout
    assert b"correct horse" not in (tmp_path / "identity.sqlite3").read_bytes()
    assert litmus("users", "remove", "ada", "--data-dir", str(tmp_path)).returncode == 0
    assert "ada" not in litmus("users", "list", "--data-dir", str(tmp_path)).stdout


def test_short_passwords_and_odd_names_are_refused_with_the_rule(tmp_path: Path) -> None:
    short = litmus("users", "add", "bo", "--role", "viewer", "--password-stdin", "--data-dir", str(tmp_path),
                   stdin="1234\n")  # fmt: skip
    assert short.returncode == 2 and "at least 8 characters; got 4" in short.stderr
    odd = litmus("users", "add", "<script>", "--role", "viewer", "--password-stdin", "--data-dir", str(tmp_path),
                 stdin="long enough\n")  # fmt: skip
    assert odd.returncode == 2 and 'got "<script>"' in odd.stderr


def test_the_server_writes_a_local_credential_only_its_owner_can_read(server: Server) -> None:
    path = server.data_dir / local.FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((server.data_dir / "identity.sqlite3").stat().st_mode) == 0o600
    assert local.name() in litmus("tokens", "list", "--data-dir", str(server.data_dir)).stdout


def test_the_last_admin_is_not_removed(tmp_path: Path) -> None:
    litmus("users", "add", "root", "--role", "admin", "--password-stdin", "--data-dir", str(tmp_path),
           stdin="long enough\n")  # fmt: skip
    refused = litmus("users", "remove", "root", "--data-dir", str(tmp_path))
    assert refused.returncode == 1 and "would leave no admin" in refused.stderr
    assert "root\tadmin" in litmus("users", "list", "--data-dir", str(tmp_path)).stdout
