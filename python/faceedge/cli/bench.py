"""``faceedge bench``: how fast this machine detects, embeds and searches, in medians.

Stages, each timed on its own after two untimed warm-up calls:

  detect   the compiled detector on the decoded photo (no Python result objects)
  embed    align + embed the photo's largest face (the compiled embedder, one face)
  search   one query against a synthetic gallery of ``--gallery`` random unit vectors
  photo    the public ``FaceEngine.embed(image)``: detect + align + embed, as an application pays

Without a PHOTO the detector runs on a mid-grey 640x480 frame (the network's cost depends on the
input size, not on what it shows) and the embedder on the ArcFace landmarks placed mid-frame;
``photo`` is then left out, as no face is there to find.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List

from ..errors import error
from .common import add_engine_options, add_json_option, engine_from_args, print_json, table

WARMUP = 2
# ArcFace's 112x112 landmark template (eyes, nose, mouth corners), for the photo-less run.
_TEMPLATE_112 = ((38.29, 51.70), (73.53, 51.50), (56.03, 71.74), (41.55, 92.37), (70.73, 92.20))


def _median_ms(fn: Callable[[], object], iterations: int) -> float:
    for _ in range(WARMUP):
        fn()
    times: List[float] = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _synthetic_gallery(core, size: int, dim: int, storage: str):
    import numpy as np

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((size, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # int8 reads its re-rank candidates' exact vectors back by face id (here face id = row;
    # a FaceLibrary reads them from its file).
    gallery = core.Gallery(dim, storage, lambda face_ids: vectors[face_ids])
    ids = np.arange(size, dtype=np.int64)
    gallery.add(ids, ids, np.zeros(size, dtype=np.int32), vectors)
    return gallery


def _cmd_bench(args: argparse.Namespace) -> int:
    import numpy as np

    from .. import _runtime
    from ..images import load_image

    for name in ("iterations", "gallery"):
        if getattr(args, name) < 1:
            raise error(229014, f"--{name} must be >= 1, got {getattr(args, name)}")
    image = load_image(args.photo) if args.photo else np.full((480, 640, 3), 128, np.uint8)
    engine = engine_from_args(args)
    core_engine = engine.core  # the compiled stages, without the facade's result objects
    raw = core_engine.detect(image)
    if args.photo and not len(raw["landmarks"]):
        raise error(222202, f"no face found in {args.photo}: bench needs one to time the embedder")
    if len(raw["landmarks"]):
        landmarks = np.ascontiguousarray(raw["landmarks"][:1], dtype=np.float32)
    else:
        offset = np.array([image.shape[1] / 2 - 56, image.shape[0] / 2 - 56], np.float32)
        landmarks = (np.asarray(_TEMPLATE_112, np.float32) + offset)[None]
    query = np.asarray(core_engine.embed(image, landmarks), dtype=np.float32)
    gallery = _synthetic_gallery(_runtime.core(), args.gallery, engine.embedding_dim,
                                 args.storage)

    n = args.iterations
    stages: Dict[str, float] = {
        "detect": _median_ms(lambda: core_engine.detect(image), n),
        "embed": _median_ms(lambda: core_engine.embed(image, landmarks), n),
        "search": _median_ms(lambda: gallery.search(query, 1), n),
    }
    if args.photo:
        stages["photo"] = _median_ms(lambda: engine.embed(image), n)
    result = {
        "photo": args.photo, "image": f"{image.shape[1]}x{image.shape[0]}",
        "faces": int(len(raw["boxes"])), "iterations": n, "threads": args.threads,
        "detector": engine.detector_id, "embedder": engine.embedder_id,
        "providers": engine.providers, "simd_level": gallery.simd_level,
        "gallery": {"size": args.gallery, "dim": engine.embedding_dim, "storage": args.storage},
        "median_ms": {k: round(v, 4) for k, v in stages.items()},
        "per_second": {k: round(1e3 / v, 1) if v > 0 else None for k, v in stages.items()},
    }
    if args.json:
        print_json(result)
        return 0
    print(f"{result['image']} {args.photo or '(synthetic frame)'}, faces: {result['faces']}; "
          f"{result['detector']} + {result['embedder']}, threads {args.threads or 'auto'}, "
          f"{', '.join(result['providers'])}, simd {result['simd_level']}; "
          f"gallery {args.gallery} x {engine.embedding_dim} {args.storage}; "
          f"median of {n}")
    print(table([{"stage": k, "median_ms": f"{v:.3f}",
                  "per_second": f"{1e3 / v:.1f}" if v > 0 else None} for k, v in stages.items()],
                ("stage", "median_ms", "per_second")))
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("bench", help="median detect / embed / search times on this machine",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_engine_options(p)  # includes --threads (intra-op threads per model)
    p.add_argument("photo", nargs="?", default=None,
                   help="a photo with a face (default: a synthetic frame)")
    p.add_argument("--iterations", type=int, default=20,
                   help="timed calls per stage, after 2 warm-up calls (default: %(default)s)")
    p.add_argument("--gallery", type=int, default=10000,
                   help="synthetic gallery size for the search stage (default: %(default)s)")
    p.add_argument("--storage", default="float32", choices=("float32", "int8"),
                   help="gallery storage (default: %(default)s)")
    add_json_option(p)
    p.set_defaults(func=_cmd_bench)
