#!/usr/bin/env python
"""Cost per face of the quality measures and of the fused MiniFASNet liveness pair (core calls).

  quality    ``_core.face_quality`` (blur + illumination + completeness + size) on one face, for
             faces of about 170, 240 and 440 px; it runs on the calling thread (no ONNX Runtime),
             so --threads does not change it
  liveness   ``_core.Liveness.score`` with the pair (V2 @2.7 + V1SE @4.0): one face per call, and
             8 faces of one frame in one call (one batch per member), reported per face
  crop       ``_core.liveness_crop`` at both scales: the pre-processing share of liveness

Run it once per thread count (the ONNX Runtime pool is sized by the first session of a process):

    python benchmarks/bench_quality_liveness.py --threads 1
    python benchmarks/bench_quality_liveness.py --threads 2

Medians of --repeats timed calls after --warmup untimed ones; the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import faceedge  # noqa: F401  (points the core at the installed runtime)
from faceedge import _core
from faceedge.images import load_image
from timing import median_ms  # benchmarks/timing.py (scripts run from this folder's path)

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"  # the test photos (tests/data/README.md)
MODELS = TESTDATA / "models"
PHOTOS = {  # photo -> what it stands for
    "liveness/live_T1.jpg": "640x480 camera frame",
    "faces/obama_1.jpg": "910x1137 portrait",
    "faces/biden_2.jpg": "1200x1200 close-up",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    liveness_dir = MODELS / "liveness"
    liveness = _core.Liveness(
        [("minifasnet_liveness", str(liveness_dir / "minifasnet_v2_2.7_80x80.onnx"), 2.7),
         ("minifasnet_liveness", str(liveness_dir / "minifasnet_v1se_4.0_80x80.onnx"), 4.0)],
        threads=args.threads)
    engine = _core.Engine("yunet_detector", str(MODELS / "detection" / "yunet_s_dynamic.onnx"),
                          "mobilefacenet_embedder",
                          str(MODELS / "recognition" / "mobilefacenet_foamliu.onnx"),
                          threads=args.threads)
    results = {"threads": args.threads, "repeats": args.repeats, "rows": []}
    print(f"threads={args.threads}  (median ms, {args.repeats} runs)")
    print(f"{'photo':26s} {'face px':>8s} {'quality':>8s} {'crop x2':>8s} "
          f"{'live 1':>8s} {'live 8/face':>11s}")
    for rel, what in PHOTOS.items():
        image = load_image(TESTDATA / rel)
        found = engine.detect(image, max_face_num=1)
        boxes, landmarks = found["boxes"], found["landmarks"]
        eight = np.repeat(boxes, 8, axis=0) + np.float32(
            [[dx, 0, 0, 0] for dx in range(-8, 8, 2)])
        row = {
            "photo": rel, "what": what, "face_px": float(boxes[0, 2]),
            "quality_ms": median_ms(lambda: _core.face_quality(image, boxes, landmarks),
                                    args.repeats, args.warmup),
            "crop_both_scales_ms": median_ms(
                lambda: (_core.liveness_crop(image, boxes[0], 2.7),
                         _core.liveness_crop(image, boxes[0], 4.0)), args.repeats, args.warmup),
            "liveness_1_face_ms": median_ms(lambda: liveness.score(image, boxes),
                                            args.repeats, args.warmup),
            "liveness_8_faces_per_face_ms": median_ms(lambda: liveness.score(image, eight),
                                                      args.repeats // 4, args.warmup // 4) / 8,
        }
        results["rows"].append(row)
        print(f"{rel:26s} {row['face_px']:8.0f} {row['quality_ms']:8.3f} "
              f"{row['crop_both_scales_ms']:8.3f} {row['liveness_1_face_ms']:8.3f} "
              f"{row['liveness_8_faces_per_face_ms']:11.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
