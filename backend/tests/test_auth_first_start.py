"""First start: an admin and a one-time sign-in link, printed where `make run` shows it."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request

from conftest import Server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object) -> None:
        return None


def follow_once(url: str) -> tuple[int, str]:
    """The status of GET `url` without following a redirect, and the cookie it set."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=20) as response:
            return response.status, response.headers.get("set-cookie", "")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("set-cookie", "") or ""


def test_the_first_start_prints_a_link_that_signs_the_admin_in_once(server: Server) -> None:
    links = re.findall(r"http://\S+/api/session/link/\S+", server.log.read_text())
    assert len(links) == 1 and links[0].startswith(server.http)
    status, cookie = follow_once(links[0])
    assert status == 303 and cookie.startswith("litmus_session=") and "HttpOnly" in cookie
    me = server.request("GET", "/api/session", token=None, headers={"Cookie": cookie.split(";")[0]})
    assert me == (200, {"name": "admin", "role": "admin", "via": "ui"})
    assert follow_once(links[0])[0] == 401  # one time only


def test_no_link_once_an_admin_has_a_password(server: Server) -> None:
    subprocess.run([sys.executable, "-m", "litmus_live.cli", "users", "passwd", "admin", "--password-stdin",
                    "--data-dir", str(server.data_dir)], input="a long password\n", text=True, check=True)  # fmt: skip
    server.stop()
    server.start()
    assert len(re.findall(r"/api/session/link/", server.log.read_text())) == 1  # the first start's only
