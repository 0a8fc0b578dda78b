#!/usr/bin/env python
"""Opening a face library: SQLite read + in-memory gallery build, for N synthetic faces.

Random unit vectors at the engine's embedding size are written straight through the store (one
user and one face each, no model runs), then the library is opened ``--repeats`` times; the
first open after writing is timed too, and with ``--cold`` the page cache is dropped before each
open (root only). Quote the median; the machine is shared and noisy.

    python benchmarks/bench_library.py --faces 100000 --repeats 5 --storage float32
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = REPO / "tests" / "data" / "models"  # plus the packaged default pack


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--storage", choices=["float32", "int8"], default="float32")
    ap.add_argument("--models", default=str(DEFAULT_MODELS))
    ap.add_argument("--cold", action="store_true", help="drop the page cache before each open")
    args = ap.parse_args(argv)

    from faceedge import FaceEngine, FaceLibrary
    from faceedge.library.store import Store

    engine = FaceEngine(models=args.models)
    dim = engine.embedding_dim
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((args.faces, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        t = time.perf_counter()
        store = Store(path, engine.embedder_id, dim)
        store.bulk_insert("bench", [f"u{i}" for i in range(args.faces)], vectors)
        store.close()
        print(f"wrote {args.faces} faces ({dim}-d) in {time.perf_counter() - t:.2f} s, "
              f"file {path.stat().st_size / 1e6:.1f} MB")
        times, load = [], []
        for _ in range(args.repeats):
            if args.cold:
                subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True, check=True)
            t = time.perf_counter()
            lib = FaceLibrary(path, engine, storage=args.storage)
            times.append(time.perf_counter() - t)
            info = lib.info()
            lib.close()
            store = Store(path, engine.embedder_id, dim)
            t = time.perf_counter()
            store.load()
            load.append(time.perf_counter() - t)
            store.close()
        print(f"open {args.storage}: median {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f}); of which SQLite read median "
              f"{statistics.median(load):.3f} s; gallery {info['gallery_faces']} faces, "
              f"{info['gallery_bytes'] / 1e6:.1f} MB, simd {info['simd_level']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
