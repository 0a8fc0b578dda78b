#!/usr/bin/env python
"""Camera-stream cost: faceedge's FaceTracker against a naive per-frame pipeline, same clip.

Every pipeline gets the same decoded frames of the Hamilton test clip (275 frames, 640x360;
decoding excluded), the same engine (threads as given) and the same library (Miranda and
Lacamoire enrolled from their stills, as the tests do):

  T      FaceTracker, default settings: full-frame detection every 5 frames (or when a track
         is lost), YuNet in crops around the tracks in between, one embedding + one search per
         track (plus re-checks and re-verifications), action liveness (66 landmarks +
         MiniFASNet per frame per face >= 48 px, until the verdict)
  T-nl   FaceTracker without liveness
  N      naive: every frame, full-frame detection (same settings: <= 20 faces, score 0.7,
         >= 16 px), every face embedded, every embedding searched (library.search_vectors)
  N+L    N plus the passive MiniFASNet score of every face of every frame

Per pass and pipeline: frames/s (wall) and CPU per frame (process CPU time, all threads,
including ONNX Runtime's workers, / frames). The pipelines take turns in a shuffled order each
pass, after an untimed idle gap (ONNX Runtime workers spin after a run). Medians over passes,
ratios against N, from one run. The machine is shared: quote the ratios.

    python benchmarks/bench_watch.py --repeats 5 --threads 1
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def load_frames(path: Path) -> List[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


def tracker_pass(engine, library, frames, liveness: bool) -> Dict[str, float]:
    from faceedge.stream import FaceTracker

    tracker = FaceTracker(engine, library, "cast", models=DATA / "models", liveness=liveness)
    for _ in tracker.run(frames):
        pass
    return {"embeddings": tracker.embeddings}


def naive_pass(engine, library, frames, liveness: bool) -> Dict[str, float]:
    core = engine.core
    embeddings = 0
    for frame in frames:
        raw = core.detect(frame, 20, 0, 16.0, 0.7)
        if not len(raw["boxes"]):
            continue
        vectors = np.asarray(core.embed(frame, raw["landmarks"]), dtype=np.float32)
        embeddings += len(vectors)
        library.search_vectors(vectors, "cast", match_threshold=80)
        if liveness:
            engine.live_scores(frame, raw["boxes"])
    return {"embeddings": embeddings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per pipeline")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per model")
    parser.add_argument("--settle-ms", type=float, default=200.0,
                        help="untimed idle gap before each timed pass")
    parser.add_argument("--clip", default=str(DATA / "video" / "short_hamilton_clip.mp4"))
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    from faceedge import FaceEngine, FaceLibrary

    frames = load_frames(Path(args.clip))
    engine = FaceEngine(models=DATA / "models", threads=args.threads)
    tmp = tempfile.mkdtemp(prefix="bench-watch-")
    library = FaceLibrary(os.path.join(tmp, "cast.db"), engine)
    library.group_add("cast")
    library.add_user(str(DATA / "faces" / "lin_manuel_miranda.png"), "cast", "miranda")
    library.add_user(str(DATA / "faces" / "alex_lacamoire_1.jpg"), "cast", "lacamoire")
    library.add_user(str(DATA / "faces" / "alex_lacamoire_2.png"), "cast", "lacamoire_2")

    pipelines: Dict[str, Callable[[], Dict[str, float]]] = {
        "T": lambda: tracker_pass(engine, library, frames, True),
        "T-nl": lambda: tracker_pass(engine, library, frames, False),
        "N": lambda: naive_pass(engine, library, frames, False),
        "N+L": lambda: naive_pass(engine, library, frames, True),
    }
    for fn in pipelines.values():  # warm-up: sessions, lazily loaded models, caches
        fn()
    samples: Dict[str, List[Dict[str, float]]] = {name: [] for name in pipelines}
    rng = random.Random(0)
    for _ in range(args.repeats):
        order = list(pipelines)
        rng.shuffle(order)
        for name in order:
            time.sleep(args.settle_ms / 1e3)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            extra = pipelines[name]()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            samples[name].append({"fps": len(frames) / wall, "cpu_ms": cpu / len(frames) * 1e3,
                                  **extra})
    results = {}
    for name, runs in samples.items():
        results[name] = {"fps": statistics.median(r["fps"] for r in runs),
                         "cpu_ms_per_frame": statistics.median(r["cpu_ms"] for r in runs),
                         "embeddings": runs[-1]["embeddings"]}
    base = results["N"]
    print(f"clip: {args.clip} ({len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}); "
          f"threads={args.threads}; repeats={args.repeats}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus; simd {engine.info()['simd_level']}")
    print(f"{'pipeline':8s} {'frames/s':>9s} {'CPU ms/frame':>13s} {'embeddings':>11s} "
          f"{'fps x N':>8s} {'CPU / N':>8s}")
    for name, r in results.items():
        print(f"{name:8s} {r['fps']:9.1f} {r['cpu_ms_per_frame']:13.1f} {r['embeddings']:11.0f} "
              f"{r['fps'] / base['fps']:8.2f} {r['cpu_ms_per_frame'] / base['cpu_ms_per_frame']:8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results,
                                               "samples": samples}, indent=2))
    library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
