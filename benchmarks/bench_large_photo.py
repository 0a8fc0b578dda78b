#!/usr/bin/env python
"""Detect + embed on a 24-Mpx camera-like JPEG: faceedge's reduced decode against the naive way.

The photo: the 3061x4600 test portrait (../shared/testdata/large) enlarged to 4000 px tall and
widened to 6000x4000 by mirroring its sides, so every part of the frame holds photo texture (a
flat border would decode faster than a real photo), then saved as a quality-92 JPEG.

Each way runs in a fresh process, so that its peak RSS (``ru_maxrss``) is its own:

  faceedge   ``engine.embed(path)``: reads the file, decodes it at 1/8 (libjpeg's DCT scaling,
             752 px long side) for the detector and, as the face is large, for the aligned crop;
             detect, embed (faceedge.decode_plan)
  naive      ``cv2.imdecode`` at full resolution, then the same compiled detector and embedder on
             the 6000x4000 array (what faceedge did before camera-size photos were accepted)

Both report the median of --repeats calls after --warmup, the peak RSS, and the RSS before the
first call (engine loaded), whose difference is what the photo costs.

    python benchmarks/bench_large_photo.py --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FACEEDGE_SHARED") or REPO.parent / "shared")
PORTRAIT = SHARED / "testdata" / "large" / "george_clooney_3061x4600.jpg"


def rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_photo(path: Path) -> None:
    import cv2

    portrait = cv2.imread(str(PORTRAIT))
    tall = cv2.resize(portrait, (round(3061 * 4000 / 4600), 4000), interpolation=cv2.INTER_CUBIC)
    side = (6000 - tall.shape[1]) // 2
    wide = cv2.copyMakeBorder(tall, 0, 0, side, 6000 - tall.shape[1] - side, cv2.BORDER_REFLECT)
    ok, buf = cv2.imencode(".jpg", wide, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok and wide.shape[:2] == (4000, 6000)
    path.write_bytes(buf.tobytes())


def child(way: str, photo: str, models: str, threads: int, repeats: int, warmup: int) -> None:
    """One way, timed in this (fresh) process; prints a JSON line."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import cv2
    import numpy as np

    from faceedge import FaceEngine
    from timing import median_ms  # benchmarks/timing.py

    engine = FaceEngine(models=models or None, threads=threads)
    if way == "faceedge":
        def call():
            return engine.embed(photo)
    else:
        core = engine.core

        def call():
            image = cv2.imdecode(np.fromfile(photo, np.uint8), cv2.IMREAD_COLOR)
            raw = core.detect(image, 1, 0, 0.0)
            return core.embed(image, raw["landmarks"])
    loaded = rss_mb()
    embedding = np.asarray(call())[0]
    ms = median_ms(call, repeats, warmup)
    print(json.dumps({"way": way, "median_ms": ms, "peak_rss_mb": rss_mb(),
                      "rss_engine_loaded_mb": loaded, "embedding": embedding.tolist()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--models", default=os.environ.get("FACEEDGE_MODELS") or
                        str(SHARED / "models"))
    parser.add_argument("--child", nargs=2, metavar=("WAY", "PHOTO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.models, args.threads, args.repeats, args.warmup)
        return

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "camera_6000x4000.jpg"
        build_photo(photo)
        size = photo.stat().st_size
        rows = []
        for way in ("faceedge", "naive"):
            out = subprocess.run([sys.executable, __file__, "--child", way, str(photo),
                                  "--threads", str(args.threads), "--repeats", str(args.repeats),
                                  "--warmup", str(args.warmup), "--models", args.models],
                                 check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    cosine = float(np.dot(rows[0]["embedding"], rows[1]["embedding"]))
    print(f"6000x4000 JPEG ({size / 1e6:.1f} MB), detect + embed of the largest face, "
          f"threads={args.threads}, median of {args.repeats}:")
    print(f"  {'way':<10} {'median ms':>10} {'peak RSS MiB':>13} {'photo adds MiB':>15}")
    for row in rows:
        print(f"  {row['way']:<10} {row['median_ms']:>10.1f} {row['peak_rss_mb']:>13.0f} "
              f"{row['peak_rss_mb'] - row['rss_engine_loaded_mb']:>15.0f}")
    fast, naive = rows
    print(f"  faceedge / naive: time {fast['median_ms'] / naive['median_ms']:.2f}, "
          f"peak RSS {fast['peak_rss_mb'] / naive['peak_rss_mb']:.2f}; "
          f"embedding cosine between the two ways {cosine:.3f}")


if __name__ == "__main__":
    main()
