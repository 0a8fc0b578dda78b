"""Access tokens: Baidu's ``/oauth/2.0/token`` (client-credentials grant) and the check of
``?access_token=`` on every call.

Tokens live in memory only: a restarted server has forgotten them, answers 110, and the SDK
fetches a new one and retries (its one automatic retry). Expired tokens answer 111, as Baidu's.
The store holds at most ``max_tokens``; the oldest go first, so a client asking for a token per
call cannot grow the server's memory.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable, Dict, Mapping, Tuple

from ..errors import error

__all__ = ["TokenStore", "OAuthError", "DEFAULT_TOKEN_TTL", "SCOPE"]

DEFAULT_TOKEN_TTL = 30 * 24 * 3600  # Baidu's tokens last 30 days
# The SDK switches to signed-header auth for good unless the scope lists brain_all_scope.
SCOPE = "public brain_all_scope"


class OAuthError(Exception):
    """A refused token request: Baidu's OAuth ``error`` / ``error_description`` and the status."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description

    def to_dict(self) -> Dict[str, str]:
        return {"error": self.code, "error_description": self.description}


class TokenStore:
    """Issues tokens to the configured ``{api_key: secret_key}`` pairs and checks them."""

    def __init__(self, api_keys: Mapping[str, str], ttl: float = DEFAULT_TOKEN_TTL,
                 max_tokens: int = 10000, clock: Callable[[], float] = time.time) -> None:
        keys = dict(api_keys or {})
        if not keys or not all(isinstance(k, str) and k and isinstance(v, str) and v
                               for k, v in keys.items()):
            raise error(229014, "the server needs at least one api_key / secret_key pair of "
                                "non-empty strings")
        if not ttl > 0:
            raise error(229014, f"token ttl must be > 0 seconds, got {ttl!r}")
        self._keys = keys
        self._ttl = float(ttl)
        self._max = int(max_tokens)
        self._clock = clock
        self._tokens: "OrderedDict[str, Tuple[str, float]]" = OrderedDict()  # token -> key, expiry
        self._lock = threading.Lock()
        self.issued = 0  # tokens handed out so far (tests watch the SDK's refresh with it)

    def issue(self, grant_type: object, client_id: object, client_secret: object
              ) -> Dict[str, object]:
        """The token reply for a client-credentials request, or :class:`OAuthError`."""
        if grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type",
                             "The authorization grant type is not supported")
        secret = self._keys.get(client_id) if isinstance(client_id, str) else None
        if secret is None:
            raise OAuthError(401, "invalid_client", "unknown client id")
        # surrogatepass: a str with a lone surrogate (possible from Python callers, fuzz
        # finding) is a wrong secret, not a UnicodeEncodeError.
        if not isinstance(client_secret, str) or not hmac.compare_digest(
                secret.encode("utf-8", "surrogatepass"),
                client_secret.encode("utf-8", "surrogatepass")):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        now = self._clock()
        token = f"24.{secrets.token_hex(16)}.{int(self._ttl)}.{int(now)}.faceedge"
        with self._lock:
            self._tokens[token] = (client_id, now + self._ttl)
            while len(self._tokens) > self._max:
                self._tokens.popitem(last=False)
            self.issued += 1
        return {"access_token": token, "expires_in": int(self._ttl), "scope": SCOPE}

    def check(self, token: object) -> None:
        """Raise 110 for a missing or unknown token, 111 for an expired one."""
        if not isinstance(token, str) or not token:
            raise error(110, "the access_token query parameter is missing")
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            raise error(110, "unknown access_token (tokens do not survive a server restart): "
                             "fetch a new one from /oauth/2.0/token")
        if self._clock() >= entry[1]:
            raise error(111, "the access_token has expired: fetch a new one from "
                             "/oauth/2.0/token")

    def forget_all(self) -> None:
        """Drop every token (as a restart does)."""
        with self._lock:
            self._tokens.clear()
