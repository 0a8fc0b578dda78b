#!/usr/bin/env python
"""What the Baidu doors cost over the engine: the same detect / search / match three ways.

  engine      ``FaceEngine.detect`` / ``FaceLibrary.search`` / ``FaceEngine.match`` on the base64
              text a Baidu client sends (decoding included, as in the other two)
  drop-in     ``faceedge.compat.AipFace`` (in process: option parsing, the envelope)
  SDK + HTTP  the unmodified ``baidu-aip`` SDK pointed at ``faceedge serve`` on loopback
              (requests, JSON, uvicorn, the token check, the server's thread pool)

Ratios are cost / engine cost, measured in one run; calls interleave pass by pass so the noise of
this shared machine falls on all three alike. The library holds the 7 labelled testdata people.

    python benchmarks/bench_compat.py --threads 2
"""
from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path

import aip

import faceedge
from faceedge.compat import AipFace, BaiduFaceService, point_sdk_at
from faceedge.server import ServerThread, create_app

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"  # the test photos (tests/data/README.md)
PEOPLE = {"obama": "faces/obama_1.jpg", "biden": "faces/biden_1.jpg",
          "alex": "faces/alex_lacamoire_1.jpg", "lin": "faces/lin_manuel_miranda.png",
          "eileen": "faces/eileen_collins_astronaut.png", "hanks": "faces/tom_hanks_aligned_112.png"}
PROBE, OTHER = "faces/obama_2.jpg", "faces/biden_2.jpg"
KEYS = ("bench-key", "bench-secret")


def b64(rel: str) -> str:
    return base64.b64encode((TESTDATA / rel).read_bytes()).decode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=4)
    args = parser.parse_args()
    assert TESTDATA.is_dir(), f"needs the test photos at {TESTDATA}"

    engine = faceedge.FaceEngine(models=TESTDATA / "models", threads=args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench-compat-"))
    direct_lib = faceedge.FaceLibrary(work / "direct.db", engine)
    dropin = AipFace("1", *KEYS, engine=engine, library=work / "dropin.db")
    service = BaiduFaceService(engine, library_path=work / "served.db")
    probe, other = b64(PROBE), b64(OTHER)
    with ServerThread(create_app(service, {KEYS[0]: KEYS[1]})) as server:
        sdk = point_sdk_at(aip.AipFace("1", *KEYS), server.url)
        for user, rel in PEOPLE.items():
            image = b64(rel)
            direct_lib.add_user(image, "staff", user, image_type="BASE64")
            assert dropin.addUser(image, "BASE64", "staff", user)["error_code"] == 0
            assert sdk.addUser(image, "BASE64", "staff", user)["error_code"] == 0

        pair = [{"image": probe, "image_type": "BASE64"}, {"image": other, "image_type": "BASE64"}]
        calls = {
            "detect": {
                "engine": lambda: engine.detect(probe, image_type="BASE64"),
                "drop-in": lambda: dropin.detect(probe, "BASE64"),
                "SDK + HTTP": lambda: sdk.detect(probe, "BASE64")},
            "search": {
                "engine": lambda: direct_lib.search(probe, "staff", image_type="BASE64"),
                "drop-in": lambda: dropin.search(probe, "BASE64", "staff"),
                "SDK + HTTP": lambda: sdk.search(probe, "BASE64", "staff")},
            "match": {
                "engine": lambda: engine.match(probe, other, image_type1="BASE64",
                                               image_type2="BASE64"),
                "drop-in": lambda: dropin.match(pair),
                "SDK + HTTP": lambda: sdk.match(pair)},
        }
        # Every way must give the answer before it is timed.
        assert sdk.search(probe, "BASE64", "staff")["result"]["user_list"][0]["user_id"] == "obama"
        assert dropin.search(probe, "BASE64", "staff")["result"]["user_list"][0]["user_id"] == "obama"
        assert direct_lib.search(probe, "staff", image_type="BASE64").user_list[0].user_id == "obama"

        rows = {}
        for name, ways in calls.items():
            samples = {way: [] for way in ways}
            for i in range(args.warmup + args.repeats):
                for way, fn in ways.items():
                    start = time.perf_counter()
                    fn()
                    if i >= args.warmup:
                        samples[way].append((time.perf_counter() - start) * 1e3)
            medians = {way: statistics.median(v) for way, v in samples.items()}
            rows[name] = {way: {"median_ms": round(ms, 2),
                                "ratio_vs_engine": round(ms / medians["engine"], 2)}
                          for way, ms in medians.items()}
    direct_lib.close()
    dropin.close()
    service.close()
    print(json.dumps({"threads": args.threads, "repeats": args.repeats,
                      "simd": faceedge.runtime_info().get("simd_level"), "results": rows}, indent=1))


if __name__ == "__main__":
    main()
