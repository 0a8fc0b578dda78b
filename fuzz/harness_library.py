"""A damaged library file: a real library (3 users, 2 groups) with its bytes mutated (page
headers, b-tree cells, the embedding blobs, cuts at page and odd boundaries), then opened and
read. Opening must give a working library or 229021/229022, and a library that opened must
answer its calls or raise a coded error."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .context import PHOTOS, engine
from .mutate import mutate_bytes, rng_for

NAME = "library"


class Harness:
    def __init__(self) -> None:
        from faceedge import FaceLibrary

        self.engine = engine()
        self.folder = Path(tempfile.mkdtemp(prefix="faceedge-fuzz-library-"))
        path = self.folder / "seed.db"
        with FaceLibrary(path, self.engine) as lib:
            for name, group in (("obama_1.jpg", "staff"), ("biden_1.jpg", "staff"),
                                ("alex_lacamoire_1.jpg", "visitors")):
                lib.add_user(str(PHOTOS / name), group, name.split(".")[0].replace("_1", ""))
        self.seed_bytes = path.read_bytes()  # closed: the WAL is checkpointed into the file
        self.probe = self.engine.detect(str(PHOTOS / "obama_2.jpg")).face_list[0].face_token
        self.engine.embed(self.probe)
        self.target = self.folder / "damaged.db"

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def run_one(self, seed: int, index: int) -> str:
        from faceedge import FaceLibrary

        rng = rng_for(seed, index)
        data = bytearray(self.seed_bytes)
        kind = rng.random()
        if kind < 0.6:    # a few damaged bytes anywhere (bit rot, a bad sector's worth)
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(len(data))
                data[pos:pos + 1] = bytes([rng.randrange(256)])
        elif kind < 0.7:  # a cut at a page boundary (a torn copy)
            del data[4096 * rng.randrange(max(1, len(data) // 4096)):]
        else:
            data = bytearray(mutate_bytes(rng, bytes(data)))
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.target}{suffix}")
            except FileNotFoundError:
                pass
        fd = os.open(self.target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        with FaceLibrary(self.target, self.engine) as lib:
            lib.info()
            groups = lib.get_group_list().group_id_list
            for group in groups[:3]:
                for user in lib.get_group_users(group).user_id_list[:3]:
                    lib.get_user(user, group)
                    lib.face_getlist(user, group)
            if groups:
                lib.search(self.probe, ",".join(groups[:10]), match_threshold=0)
            lib.group_add("fuzz_added")
            lib.integrity_check()
        return "opened"
