"""Smoke test for an installed faceedge wheel (run by tools/check_wheels.sh, on x86 natively and
on aarch64 under qemu).

    python wheel_smoke.py --expect-level LEVEL SAME_1 SAME_2 OTHER

Models come from the wheel itself (the packaged default pack). Checks what a user of the wheel
would notice first: the module and the models come from the wheel (not a source tree), the search kernels run at LEVEL (so the
per-ISA kernel files were really compiled for their ISA), one face is found on each photo, the
two photos of one person match (score > 80) and the other person does not. Nothing is timed.
"""
import argparse
import json
import sys

SAME_PERSON_MIN = 80.0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--expect-level", required=True,
                   help="the SIMD level dispatch must pick on this CPU, e.g. avx512vnni")
    p.add_argument("same", nargs=2, help="two photos of one person")
    p.add_argument("other", help="a photo of someone else")
    a = p.parse_args()

    import faceedge
    from faceedge import FaceEngine, _core

    info = faceedge.runtime_info()
    failures = []
    if "site-packages" not in _core.__file__ and "wheel-site" not in _core.__file__:
        failures.append(f"faceedge._core was imported from {_core.__file__}, not an installed wheel")
    if info["simd_level"] != a.expect_level:
        failures.append(f"SIMD level {info['simd_level']!r}, expected {a.expect_level!r}")

    engine = FaceEngine()
    for role, model in engine.info()["models"].items():
        if role in ("detector", "embedder") and model["found_in"] != "packaged":
            failures.append(f"the {role} came from {model['found_in']}, not the wheel")
    faces = {photo: engine.detect(photo).face_num for photo in (*a.same, a.other)}
    for photo, n in faces.items():
        if n != 1:
            failures.append(f"{photo}: {n} faces, expected 1")
    same = engine.match(*a.same).score
    other = engine.match(a.same[0], a.other).score
    if not same > SAME_PERSON_MIN:
        failures.append(f"same person scored {same:.2f} (<= {SAME_PERSON_MIN})")
    if not other < SAME_PERSON_MIN:
        failures.append(f"different people scored {other:.2f} (>= {SAME_PERSON_MIN})")

    print(json.dumps({
        "module": _core.__file__,
        "onnxruntime": info["version"],
        "simd_level": info["simd_level"],
        "available_simd_levels": info["available_simd_levels"],
        "faces": faces,
        "same_person_score": round(same, 2),
        "different_person_score": round(other, 2),
    }, indent=1))
    for f in failures:
        print("WHEEL SMOKE FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
