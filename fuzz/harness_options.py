"""Option parsing of every public call: ``FaceEngine`` (detect, embed, match, faceverify) and
``FaceLibrary`` (every face-library call), each given a random subset of its keyword arguments
with hostile values (wrong types, edges, NaN, huge, NUL, non-ASCII, containers). A small real
face image and a face token keep the valid combinations cheap."""
from __future__ import annotations

import inspect
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .context import engine, small_face
from .mutate import rng_for

NAME = "options"

_VALUES = [None, True, False, 0, 1, 2, -1, 10, 20, 50, 100, 120, 121, 1000, 1001, 2**31, 2**63,
           -2**63, 0.5, 80.0, -0.0, math.nan, math.inf, -math.inf, 1e308, "", " ", "0", "1",
           "80", "1e3", "NONE", "LOW", "NORMAL", "HIGH", "normal", "Normal ", "APPEND",
           "REPLACE", "UPDATE", "COMMON", "GATE", "quality", "liveness", "quality,liveness",
           "gender,emotion", "age,beauty", "landmark", ",,,", "BASE64", "FACE_TOKEN", "URL",
           "staff", "g1", "g_2", "staff,g1", "@ALL", "a" * 48, "a" * 49, "é" * 30, "x\x00y",
           "../etc", "u1", "u_2", "info", "i" * 257, b"bytes", ["staff"], ("g1", "g2"),
           ["a"] * 11, {"k": 1}, np.int64(5), np.float32(0.3), np.array([1, 2]), object()]


class Harness:
    def __init__(self) -> None:
        from faceedge import FaceLibrary

        self.engine = engine()
        self.image = small_face()
        self.token = self.engine.detect(self.image).face_list[0].face_token
        self.folder = Path(tempfile.mkdtemp(prefix="faceedge-fuzz-options-"))
        self.library = FaceLibrary(self.folder / "lib.db", self.engine)
        self.library.add_user(self.image, "staff", "u1")
        self.calls = self._calls()

    def close(self) -> None:
        self.library.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _calls(self):
        e, lib = self.engine, self.library
        controls = ["quality_control", "liveness_control"]
        return [
            (e.detect, ["max_face_num", "face_sort_type", "min_face_size", "face_field",
                        "image_type"] + controls, True),
            (e.embed, ["max_face_num", "face_sort_type", "min_face_size"], True),
            (e.match, ["image_type1", "image_type2"] + controls, 2),
            (e.faceverify, ["face_field", "option"], "list"),
            (lib.search, ["group_id_list", "match_threshold", "max_user_num", "user_id",
                          "image_type"] + controls, True),
            (lib.multi_search, ["group_id_list", "max_face_num", "match_threshold",
                                "max_user_num", "image_type"] + controls, True),
            (lib.add_user, ["group_id", "user_id", "user_info", "action_type",
                            "image_type"] + controls, True),
            (lib.update_user, ["group_id", "user_id", "user_info", "action_type",
                               "image_type"] + controls, True),
            (lib.get_user, ["user_id", "group_id"], False),
            (lib.face_getlist, ["user_id", "group_id"], False),
            (lib.get_group_users, ["group_id", "start", "length"], False),
            (lib.get_group_list, ["start", "length"], False),
            (lib.user_copy, ["user_id", "src_group_id", "dst_group_id"], False),
            (lib.delete_user, ["group_id", "user_id"], False),
            (lib.face_delete, ["user_id", "group_id", "face_token"], False),
            (lib.group_add, ["group_id"], False),
            (lib.group_delete, ["group_id"], False),
        ]

    def _image(self, rng):
        return rng.choice([self.image, self.token, self.token, "not a token", b"", None,
                           np.zeros((2, 2, 3), np.uint8)])

    def run_one(self, seed: int, index: int) -> str:
        rng = rng_for(seed, index)
        call, names, takes_image = rng.choice(self.calls)
        required = [n for n, prm in inspect.signature(call).parameters.items()
                    if prm.default is inspect.Parameter.empty and n in names]
        kwargs = {}
        for name in names:
            if rng.random() < 0.4:
                kwargs[name] = rng.choice(_VALUES)
            elif name in required:  # a sane value, so the call gets past this argument
                kwargs[name] = rng.choice(["staff", "u1", "g1", "staff,g1"])
        if call.__name__ == "face_delete" and "face_token" in kwargs and rng.random() < 0.5:
            kwargs["face_token"] = self.token
        args = []
        if takes_image == "list":
            args = [[self._image(rng) for _ in range(rng.choice([0, 1, 2, 3, 8]))]]
        elif takes_image == 2:
            args = [self._image(rng), self._image(rng)]
        elif takes_image:
            args = [self._image(rng)]
        call(*args, **kwargs)
        return f"{call.__name__} ok"
