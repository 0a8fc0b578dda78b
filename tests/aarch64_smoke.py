"""Real-model smoke test for the aarch64 build under emulation (run by .ci/aarch64.sh).

Not collected by pytest (the name does not start with ``test_``). Two modes:

    python tests/aarch64_smoke.py --write ref.json MODELS PHOTO1 PHOTO2     # on x86
    python tests/aarch64_smoke.py --check ref.json MODELS PHOTO1 PHOTO2     # on aarch64

Both detect + embed every photo and match the first two with the default pack; ``--check``
compares with the x86 results: boxes and landmarks within 1 px, the embeddings' cosine >= 0.999,
the match score within 0.5. Nothing is timed: under emulation the numbers mean nothing.
"""
import argparse
import json
import platform
import sys

import numpy as np

BOX_PX = 1.0
MIN_COSINE = 0.999
SCORE_DELTA = 0.5


def run(models, photos):
    from faceedge import FaceEngine, _runtime

    engine = FaceEngine(models=models)
    out = {"machine": platform.machine(), "runtime": {
        k: v for k, v in _runtime.runtime_info().items() if isinstance(v, (str, int, float, list))},
        "photos": {}}
    for photo in photos:
        det = engine.detect(photo)
        face = det.face_list[0]
        loc = face.location
        emb = engine.embed(photo)[0]
        out["photos"][photo] = {
            "box": [float(loc.left), float(loc.top), float(loc.width), float(loc.height)],
            "landmark5": [[float(p.x), float(p.y)] for p in face.landmark5],
            "probability": float(face.face_probability),
            "embedding": [float(v) for v in emb],
        }
    m = engine.match(photos[0], photos[1])
    out["match"] = {"score": float(m.score), "cosine": float(m.cosine)}
    return out


def compare(ref, got):
    failures = []
    report = {}
    for photo, r in ref["photos"].items():
        g = got["photos"][photo]
        box = float(np.max(np.abs(np.subtract(r["box"], g["box"]))))
        lmk = float(np.max(np.abs(np.subtract(r["landmark5"], g["landmark5"]))))
        a = np.asarray(r["embedding"], np.float64)
        b = np.asarray(g["embedding"], np.float64)
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        report[photo] = {"box_max_abs_px": round(box, 4), "landmark_max_abs_px": round(lmk, 4),
                         "embedding_cosine": round(cos, 6)}
        if box > BOX_PX:
            failures.append(f"{photo}: box differs by {box:.3f} px (> {BOX_PX})")
        if lmk > BOX_PX:
            failures.append(f"{photo}: landmarks differ by {lmk:.3f} px (> {BOX_PX})")
        if cos < MIN_COSINE:
            failures.append(f"{photo}: embedding cosine {cos:.6f} (< {MIN_COSINE})")
    ds = abs(ref["match"]["score"] - got["match"]["score"])
    report["match"] = {"x86_score": round(ref["match"]["score"], 4),
                       "aarch64_score": round(got["match"]["score"], 4), "abs_diff": round(ds, 4)}
    if ds > SCORE_DELTA:
        failures.append(f"match score differs by {ds:.4f} (> {SCORE_DELTA})")
    return report, failures


def main():
    p = argparse.ArgumentParser()
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write")
    mode.add_argument("--check")
    p.add_argument("models")
    p.add_argument("photos", nargs=2)
    a = p.parse_args()
    got = run(a.models, a.photos)
    if a.write:
        with open(a.write, "w") as f:
            json.dump(got, f)
        print(f"smoke: reference from {got['machine']} written to {a.write}: "
              f"match score {got['match']['score']:.4f}")
        return 0
    with open(a.check) as f:
        ref = json.load(f)
    report, failures = compare(ref, got)
    print(json.dumps({"reference": ref["machine"], "this": got["machine"], **report}, indent=1))
    if got["machine"] == ref["machine"]:
        failures.append(f"both runs are on {got['machine']}: nothing cross-architecture was compared")
    for f in failures:
        print("SMOKE FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
