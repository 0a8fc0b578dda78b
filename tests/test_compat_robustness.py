"""Random bodies of Baidu's parameter names and awkward values (wrong types, huge numbers, NaN,
empty strings, lists, NUL bytes, paths, URLs) through every offline endpoint: each call must end
in Baidu's envelope with a specific error code, never 222302 (an unexpected failure) and never an
exception. A fixed seed keeps it repeatable; it found `start=10**20` overflowing SQLite."""
import base64
import json
import logging
import random

import pytest

from faceedge.compat import BaiduFaceService
from faceedge.compat.endpoints import HANDLERS

KEYS = ["image", "image_type", "group_id", "user_id", "group_id_list", "user_info", "face_token",
        "max_face_num", "match_threshold", "max_user_num", "quality_control", "liveness_control",
        "action_type", "face_field", "face_sort_type", "start", "length", "src_group_id",
        "dst_group_id", "option", "face_type", "min_face_size"]
ENVELOPE = {"error_code", "error_msg", "log_id", "timestamp", "cached", "result"}


@pytest.fixture(scope="module")
def service(engine, tmp_path_factory):
    svc = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("robust") / "lib.db")
    yield svc
    svc.close()


def test_random_bodies_get_specific_baidu_errors(service, testdata_dir, caplog):
    photo = base64.b64encode((testdata_dir / "faces/obama_2.jpg").read_bytes()).decode()
    detected = service.call("detect", {"image": photo, "image_type": "BASE64"})
    token = detected["result"]["face_list"][0]["face_token"]
    added = service.call("faceset/user/add", {"image": photo, "image_type": "BASE64",
                                              "group_id": "g", "user_id": "u"})
    assert added["error_code"] == 0
    values = [None, True, False, 0, -1, 1, 2, 10**20, 1.5, float("nan"), "", " ", "g", "u", "0",
              "-5", "NORMAL", "LOW", "BASE64", "FACE_TOKEN", "URL", "http://127.0.0.1:9/x.jpg",
              photo, token, "A" * 50, "\u00fc" * 300, [], ["g"], {}, {"a": 1}, "g,u", "g," * 20,
              "@ALL", "landmark,quality", "1e3", "\x00", "../etc/passwd"]
    rng = random.Random(1)
    codes = set()
    caplog.set_level(logging.CRITICAL)
    for _ in range(3000):
        path = rng.choice(sorted(HANDLERS))

        def body():
            return {k: rng.choice(values) for k in rng.sample(KEYS, rng.randint(0, 8))}
        if path in ("match", "faceverify"):
            sent = [body() for _ in range(rng.randint(0, 4))]
        else:
            sent = body() if rng.random() < 0.95 else rng.choice([[], "x", 3, None])
        reply = service.call(path, sent)
        assert set(reply) - {"error_detail"} == ENVELOPE, (path, sent)
        assert reply["error_code"] != 222302, (path, sent, reply["error_msg"])
        json.dumps(reply)  # what the server sends must serialise
        codes.add(reply["error_code"])
    assert 0 in codes and len(codes) > 10  # the bodies reached both answers and many checks
