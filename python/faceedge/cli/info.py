"""``faceedge info``: the ONNX Runtime and SIMD facts of this machine, and what scores mean.

``score_scale`` gives, for the pack's embedder, score 80's cosine, whether it is a measured
false-accept point, and what 60 / 70 / 80 / 90 mean (the manifest's measured points, or a
``faces`` calibration file given with ``--calibration`` / ``$FACEEDGE_CALIBRATION``). No model is
loaded: the calibration files are listed, and checked against the models when an engine loads them.
"""
from __future__ import annotations

import argparse

from .common import print_json


def _cmd_info(args: argparse.Namespace) -> int:
    from .. import __version__
    from .._runtime import runtime_info
    from ..calibration.files import calibration_files
    from ..calibration.in_force import manifest_scale, site_scale
    from ..models import load_manifest

    info = {"faceedge_version": __version__}
    info.update(runtime_info())
    manifest = load_manifest()
    embedder = manifest.get(args.embedder or manifest.pack(args.pack)["embedder"])
    files = calibration_files(args.calibration)
    faces = [c for c in files if c.kind == "faces"]
    scale = site_scale(faces[0], embedder, manifest) if faces else manifest_scale(embedder, manifest)
    info["score_scale"] = {"embedder": embedder.id, **scale.info()}
    live_id = manifest.pack(args.pack).get("liveness")
    if live_id:
        live_cal = manifest.model_set(live_id).calibration
        live_files = [c for c in files if c.kind == "liveness"]
        info["liveness_thresholds"] = {
            "id": live_id,
            "source": live_files[0].id if live_files else "manifest",
            "thresholds": dict(live_files[0].raw["thresholds"]) if live_files else
            {k: live_cal.get(k) for k in ("frr_1e-4", "frr_1e-3", "frr_1e-2")},
            "measured": live_files[0].raw["levels"] if live_files else live_cal.get("measured")}
    info["calibration_files"] = [c.summary() for c in files]
    print_json(info)
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("info", help="ONNX Runtime and SIMD facts, and what scores mean, as JSON")
    p.add_argument("--pack", default="default",
                   help="model pack whose embedder's score scale to show (default: %(default)s)")
    p.add_argument("--embedder", help="manifest id of the embedder (overrides the pack)")
    p.add_argument("--calibration", action="append", metavar="FILE",
                   help="calibration file(s) to show (default: $FACEEDGE_CALIBRATION)")
    p.set_defaults(func=_cmd_info)
