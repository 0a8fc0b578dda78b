#!/usr/bin/env python
"""faceverify end to end, and what quality / liveness add to a detect call (public API).

  detect               ``engine.detect(img)``: the baseline (detector, face token, aligned crop)
  detect + quality     ``face_field="quality"``: + ``_core.face_quality``
  detect + liveness    ``face_field="liveness"``: + the fused MiniFASNet pair
  detect + both ctrl   ``quality_control="NORMAL", liveness_control="NORMAL"``
  faceverify N         ``engine.faceverify(images)`` with N = 1, 3, 8 decoded frames (each: detect
                       the largest face, liveness, face token), and N = 1 from the JPEG file
                       (decoding included)

Frames: the three 640x480 Silent-Face samples (tests/data/liveness), taken in turn.
Run once per thread count (the ONNX Runtime pool is sized by the first session of a process):

    python benchmarks/bench_faceverify.py --threads 2
    python benchmarks/bench_faceverify.py --threads 1

Medians of --repeats timed calls after --warmup untimed ones; the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import faceedge
from faceedge.images import load_image
from timing import median_ms  # benchmarks/timing.py (scripts run from this folder's path)

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"  # the test photos (tests/data/README.md)
SAMPLES = ["live_T1.jpg", "spoof_F1_print.jpg", "spoof_F2_screen.jpg"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    engine = faceedge.FaceEngine(models=TESTDATA / "models", threads=args.threads)
    paths = [TESTDATA / "liveness" / n for n in SAMPLES]
    frames = [load_image(p) for p in paths]
    turn = {"i": 0}

    def frame():
        turn["i"] += 1
        return frames[turn["i"] % len(frames)]

    cases = {
        "detect": lambda: engine.detect(frame()),
        "detect + quality": lambda: engine.detect(frame(), face_field="quality"),
        "detect + liveness": lambda: engine.detect(frame(), face_field="liveness"),
        "detect + both controls NORMAL": lambda: _controlled(engine, frame()),
        "faceverify 1 (decoded)": lambda: engine.faceverify([frame()]),
        "faceverify 3 (decoded)": lambda: engine.faceverify(frames),
        "faceverify 8 (decoded)": lambda: engine.faceverify([frames[k % 3] for k in range(8)]),
        "faceverify 1 (JPEG file)": lambda: engine.faceverify([paths[turn["i"] % 3]]),
    }
    results = {"threads": args.threads, "simd_level": engine.info()["simd_level"], "ms": {}}
    for name, fn in cases.items():
        results["ms"][name] = round(median_ms(fn, args.repeats, args.warmup), 2)
        print(f"{name:32s} {results['ms'][name]:8.2f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def _controlled(engine, img):
    try:  # the spoof samples are refused (223120): the checks still ran
        return engine.detect(img, quality_control="NORMAL", liveness_control="NORMAL")
    except faceedge.FaceEdgeError:
        return None


if __name__ == "__main__":
    main()
