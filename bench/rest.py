"""A keep-alive HTTP/1.1 connection that speaks JSON, on the standard library's http.client."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass

# failures of a reused keep-alive connection that the server closed while it was idle: the
# request never reached the application, so sending it again on a new connection is safe
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Reply:
    """One answer: status, parsed JSON (None when the body is not JSON), raw text, seconds taken."""

    status: int
    data: dict | list | None
    text: str
    seconds: float


def basic_auth(username: str, password: str) -> str:
    """The value of an Authorization header with HTTP Basic credentials."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Connection:
    """One persistent connection to a server; `request` reconnects when the server has closed it."""

    def __init__(self, url: str, timeout: float = 60.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{url}' is not an http:// or https:// URL")
        self.base_path = parts.path.rstrip("/")
        factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._open = lambda: factory(parts.hostname, parts.port, timeout=timeout)
        self._connection = self._open()
        self._used = False
        self.reconnects = 0

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None,
                headers: dict | None = None) -> Reply:
        """Send one request and read the whole answer; transport failures raise OSError or
        http.client.HTTPException (the connection is then reopened for the next request)."""
        target = self.base_path + path + ("?" + urllib.parse.urlencode(query) if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        reused = self._used
        started = time.perf_counter()
        try:
            status, raw = self._exchange(method, target, payload, sent)
        except STALE_CONNECTION:
            self.reopen()
            if not reused:
                raise
            self.reconnects += 1
            started = time.perf_counter()
            status, raw = self._retry(method, target, payload, sent)
        except TRANSPORT_ERRORS:
            self.reopen()
            raise
        seconds = time.perf_counter() - started
        text = raw.decode("utf-8", "replace")
        return Reply(status, _json(text), text, seconds)

    def _retry(self, method: str, target: str, payload: bytes | None, headers: dict) -> tuple[int, bytes]:
        try:
            return self._exchange(method, target, payload, headers)
        except TRANSPORT_ERRORS:
            self.reopen()
            raise

    def _exchange(self, method: str, target: str, payload: bytes | None, headers: dict) -> tuple[int, bytes]:
        self._connection.request(method, target, body=payload, headers=headers)
        response = self._connection.getresponse()
        raw = response.read()
        self._used = not response.will_close
        if response.will_close:
            self.reopen()
        return response.status, raw

    def reopen(self) -> None:
        """Close the connection and open a new one."""
        self._connection.close()
        self._connection = self._open()
        self._used = False

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def _json(text: str):
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return None
