"""The server's request parsing: mutated JSON and form bodies through ``parse_body`` (with the
nesting bound), and access tokens and token requests through ``TokenStore``."""
from __future__ import annotations

import json

from faceedge.server.body import MAX_JSON_DEPTH, json_depth_exceeds, parse_body
from faceedge.server.tokens import OAuthError, TokenStore

from .mutate import mutate_bytes, rng_for

NAME = "body"

_BODIES = [
    json.dumps({"image": "aGVsbG8=", "image_type": "BASE64", "face_field": "quality,liveness",
                "max_face_num": 10}).encode(),
    json.dumps([{"image": "x", "image_type": "FACE_TOKEN"},
                {"image": "y", "image_type": "URL", "liveness_control": "NORMAL"}]).encode(),
    json.dumps({"group_id_list": "a,b,c", "user_id": "u_1",
                "user_info": "é\u0000\ud7ff"}).encode(),
    b"image=aGVsbG8%3D&image_type=BASE64&group_id=staff",
    b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1),
    b'{"a": "\\u00e9\\"[{", "b": [1, -2.5e300, true, null, {"c": []}]}',
]
_TYPES = ["application/json", "application/json; charset=utf-8",
          "application/x-www-form-urlencoded", "", "text/plain",
          "APPLICATION/X-WWW-FORM-URLENCODED"]


class Harness:
    def __init__(self) -> None:
        now = [1_000_000.0]
        self.clock = now
        self.tokens = TokenStore({"key": "secret", "k2": "s\u00e92"}, ttl=100, max_tokens=50,
                                 clock=lambda: now[0])
        self.issued = [self.tokens.issue("client_credentials", "key", "secret")["access_token"]]

    def run_one(self, seed: int, index: int) -> str:
        rng = rng_for(seed, index)
        if rng.random() < 0.75:
            data = mutate_bytes(rng, rng.choice(_BODIES), _BODIES)
            content_type = rng.choice(_TYPES)
            body = parse_body(data, content_type)
            assert isinstance(body, (dict, list)), type(body)
            if "form" not in content_type.lower():
                assert not json_depth_exceeds(data, MAX_JSON_DEPTH)
            return "parsed"
        # Tokens: mutated real tokens and credentials; expiry moves with a fake clock.
        self.clock[0] += rng.choice([0, 1, 50, 101])
        choice = rng.randrange(3)
        if choice == 0:
            token = mutate_bytes(rng, rng.choice(self.issued).encode()).decode("utf-8", "replace")
            self.tokens.check(rng.choice([token, rng.choice(self.issued), "", None, 12]))
            return "token ok"
        fields = [rng.choice(["client_credentials", "password", "", None, 5]),
                  rng.choice(["key", "k2", "KEY", "", None, ["key"], "key\x00"]),
                  rng.choice(["secret", "s\u00e92", "secre", "", None, b"secret", "\ud800"])]
        try:
            reply = self.tokens.issue(*fields)
        except OAuthError as exc:
            assert exc.status in (400, 401) and exc.to_dict()["error"]
            return f"oauth {exc.status}"
        assert reply["access_token"] and reply["expires_in"] == 100
        self.issued = (self.issued + [reply["access_token"]])[-20:]
        return "issued"
