#!/usr/bin/env python
"""faceedge on ONNX Runtime's CPU provider against other execution providers (OpenVINO), per frame.

Each configuration is one ``FaceEngine`` (same models, same thread count); they take turns pass by
pass over the test photos (shuffled order, an idle settle gap before each pass), and each one's
``engine.embed(img)`` (detect + align + embed of the largest face) is timed, plus its embedder
alone on a fixed aligned crop. Accuracy against the CPU provider: the cosine of every photo's
embedding, and whether every pair of photos gets the same match decision (score >= 80).

Configurations (``--configs``, comma-separated):

  cpu            ONNX Runtime's CPU provider (the reference)
  openvino       OpenVINO EP on the CPU, precision FP32 (the EP's default for the CPU)
  openvino-bf16  OpenVINO EP on the CPU with OpenVINO's INFERENCE_PRECISION_HINT bf16
                 (``load_config``): native on CPUs with AVX512_BF16 or AMX
  openvino-static  as openvino, with ``disable_dynamic_shapes``: the detector is compiled
                 for each input size it meets (once per size) instead of run with dynamic shapes

The OpenVINO configurations need an ONNX Runtime with the OpenVINO EP (README: "OpenVINO").

    python benchmarks/bench_providers.py --threads 2 --repeats 10
"""
from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import platform
import random
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

CONFIGS = {
    "cpu": "cpu",
    "openvino": ("openvino", {"device_type": "CPU", "precision": "FP32"}),
    "openvino-bf16": ("openvino", {"device_type": "CPU", "load_config": json.dumps(
        {"CPU": {"INFERENCE_PRECISION_HINT": "bf16"}})}),
    "openvino-static": ("openvino", {"device_type": "CPU", "precision": "FP32",
                                     "disable_dynamic_shapes": True}),
}


def photos() -> List[np.ndarray]:
    files = sorted(glob.glob(str(DATA / "faces" / "*.jpg")) + glob.glob(str(DATA / "faces" / "*.png")))
    files = [f for f in files if "aligned_112" not in f]
    files += sorted(glob.glob(str(DATA / "liveness" / "*.jpg")))
    return [np.ascontiguousarray(cv2.imread(f, cv2.IMREAD_COLOR)) for f in files]


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=10, help="timed passes over all photos")
    ap.add_argument("--configs", default="cpu,openvino,openvino-bf16")
    ap.add_argument("--settle-ms", type=float, default=150.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import faceedge
    from faceedge import FaceEngine, _runtime
    from faceedge.engine import ARCFACE_TEMPLATE_112

    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    if names[0] != "cpu":
        names.insert(0, "cpu")
    engines = {n: FaceEngine(providers=CONFIGS[n], threads=args.threads) for n in names}
    frames = photos()

    # Embeddings of every photo per configuration; the embedder alone on one aligned crop.
    core = _runtime.core()
    ref = engines["cpu"]
    raw = ref.core.detect(frames[0], 1, 0, 0.0)
    crop = core.align_face(frames[0], raw["landmarks"][0])
    template = np.ascontiguousarray(ARCFACE_TEMPLATE_112[None], dtype=np.float32)
    vectors = {n: [e.embed(img)[0] for img in frames] for n, e in engines.items()}

    rng = random.Random(args.seed)
    frame_ms: Dict[str, List[float]] = {n: [] for n in names}
    embed_ms: Dict[str, List[float]] = {n: [] for n in names}
    for _ in range(2):  # warm-up
        for e in engines.values():
            for img in frames:
                e.embed(img)
    for _ in range(args.repeats):
        order = names[:]
        rng.shuffle(order)
        for n in order:
            e = engines[n]
            time.sleep(args.settle_ms / 1e3)
            for img in frames:
                t0 = time.perf_counter()
                e.embed(img)
                frame_ms[n].append((time.perf_counter() - t0) * 1e3)
            time.sleep(args.settle_ms / 1e3)
            for _ in range(len(frames)):
                t0 = time.perf_counter()
                e.core.embed(crop, template)
                embed_ms[n].append((time.perf_counter() - t0) * 1e3)

    threshold = ref.info()["models"]["embedder"]["score80_cosine"]
    info = _runtime.runtime_info()
    cmd = "python benchmarks/bench_providers.py " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    print(f"\n### Execution providers, {args.threads} threads\n\n`{cmd}`  ")
    print(f"ONNX Runtime {info['version']} ({os.path.basename(info['library_path'])}), "
          f"providers {', '.join(info['available_providers'])}, faceedge "
          f"{faceedge.__version__}, Python {platform.python_version()}, {len(frames)} photos, "
          f"{args.repeats} passes\n")
    print("| configuration | runs on | frame median ms | embedder median ms | min cosine to CPU "
          "| same decisions on all pairs |")
    print("|---|---|---:|---:|---:|---|")
    pairs = list(itertools.combinations(range(len(frames)), 2))
    for n in names:
        cos = [float(np.dot(a, b)) for a, b in zip(vectors[n], vectors["cpu"])]
        same = sum((float(np.dot(vectors[n][i], vectors[n][j])) >= threshold)
                   == (float(np.dot(vectors["cpu"][i], vectors["cpu"][j])) >= threshold)
                   for i, j in pairs)
        print(f"| {n} | {engines[n].providers[0]} | {statistics.median(frame_ms[n]):.1f} | "
              f"{statistics.median(embed_ms[n]):.2f} | {min(cos):.5f} | {same}/{len(pairs)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
