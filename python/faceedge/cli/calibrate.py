"""``faceedge calibrate faces|liveness|detection DIR``: a site's own captures -> a calibration file.

Each mode measures with the engine the other options describe (``--models``, ``--pack`` ...),
writes the versioned JSON (``--out``, default ``faceedge-calibration-<kind>.json``) and prints a
readable table, or with ``--json`` the file's content; ``--plot out.png`` draws the DET curve
(the ``[plot]`` extra). Load the file with ``--calibration FILE`` (every engine command),
``$FACEEDGE_CALIBRATION`` or ``FaceEngine(calibration=FILE)``.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

from .common import add_engine_options, add_json_option, engine_from_args, print_json, table

__all__ = ["register"]


def _fmt_rate(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2e}"


def _faces_table(raw: Dict[str, Any]) -> str:
    rows: List[Dict[str, Any]] = []
    for r in raw["table"]:
        rows.append({"FAR target": f"{r['far_target']:g}", "cosine": f"{r['cosine']:.4f}",
                     "false accepts": f"{r['false_accepts']}/{r['impostor_pairs']}",
                     "FAR 95% bound": _fmt_rate(r["far_upper_95"]),
                     "TAR": f"{r['tar']:.4f}", "FRR": f"{r['frr']:.4f}",
                     "supported": "yes" if r["supported"] else
                     f"no (needs {r['impostor_pairs_needed']} pairs)"})
    out = [table(rows, ("FAR target", "cosine", "false accepts", "FAR 95% bound", "TAR", "FRR",
                        "supported")), ""]
    out.append(table([{"score": s["score"], "cosine": f"{s['cosine']:.4f}",
                       "false accepts": f"{s['false_accepts']}/{s['impostor_pairs']}",
                       "FAR 95% bound": _fmt_rate(s["far_upper_95"]), "FRR": f"{s['frr']:.4f}"}
                      for s in raw["scores"]],
                     ("score", "cosine", "false accepts", "FAR 95% bound", "FRR")))
    return "\n".join(out)


def _liveness_table(raw: Dict[str, Any]) -> str:
    rows = [{"threshold": f"{r['threshold']:.4f}",
             "APCER": f"{r['apcer']:.4f} ({r['false_accepts']}/{r['spoof']})",
             "BPCER": f"{r['bpcer']:.4f} ({r['false_rejects']}/{r['live']})"}
            for r in raw["table"]]
    levels = [{"level": level, "key": r["key"], "frr target": f"{r['frr_target']:g}",
               "threshold": f"{r['threshold']:.4f}", "BPCER": f"{r['bpcer']:.4f}",
               "BPCER 95% bound": _fmt_rate(r["bpcer_upper_95"]), "APCER": f"{r['apcer']:.4f}",
               "supported": "yes" if r["supported"] else f"no (needs {r['live_needed']} live)"}
              for level, r in raw["levels"].items()]
    return "\n".join([table(rows, ("threshold", "APCER", "BPCER")), "",
                      table(levels, ("level", "key", "frr target", "threshold", "BPCER",
                                     "BPCER 95% bound", "APCER", "supported")),
                      f"AUC {raw['auc']:.4f}"])


def _detection_table(raw: Dict[str, Any]) -> str:
    rows = [{"threshold": f"{r['threshold']:g}", "recall": f"{r['recall']:.4f}",
             "found": f"{r['found']}/{r['faces']}",
             "recall 95% lower": f"{r['recall_lower_95']:.4f}",
             "false detections": r["false_detections"],
             "per photo": f"{r['false_per_image']:.3f}",
             "chosen": "<-" if r["threshold"] == raw["det_threshold"] else ""}
            for r in raw["table"]]
    return table(rows, ("threshold", "recall", "found", "recall 95% lower", "false detections",
                        "per photo", "chosen"))


TABLES = {"faces": _faces_table, "liveness": _liveness_table, "detection": _detection_table}


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from ..calibration import (calibrate_detection, calibrate_faces, calibrate_liveness,
                               write_calibration)
    from ..errors import error

    if args.plot:  # fail before the long run when matplotlib is missing
        try:
            import matplotlib  # noqa: F401
        except ImportError as exc:
            raise error(229014, "--plot needs matplotlib: pip install 'faceedge[plot]' "
                                f"({exc})") from None
    engine = engine_from_args(args)
    progress = False if args.no_progress else None
    if args.kind == "faces":
        cal = calibrate_faces(engine, args.dir, progress=progress)
    elif args.kind == "liveness":
        try:
            frr = [float(v) for v in args.frr.split(",")]
        except ValueError:
            raise error(229014, f"--frr takes 3 comma-separated rates, got {args.frr!r}") from None
        cal = calibrate_liveness(engine, args.dir, frr=frr, frame_step=args.frame_step,
                                 progress=progress)
    else:
        cal = calibrate_detection(engine, args.dir, max_false_per_image=args.max_false_per_image,
                                  progress=progress)
    out = args.out or f"faceedge-calibration-{args.kind}.json"
    cal = write_calibration(cal, out)
    if args.plot:
        from ..calibration.plot import plot_calibration

        plot_calibration(cal, args.plot)
    if args.json:
        print_json(cal.raw)
    else:
        print(f"{cal.kind} calibration {cal.id}: {cal.raw['counts']}")
        print(TABLES[cal.kind](dict(cal.raw)))
        for line in cal.raw.get("refused") or ():
            print(f"refused: {line}")
        print(f"written: {cal.path}" + (f"; plot: {args.plot}" if args.plot else ""))
    print(f"faceedge calibrate: wrote {cal.path}", file=sys.stderr)
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("calibrate", help="measure thresholds on a site's own labelled captures "
                                         "and write a calibration file")
    p.add_argument("kind", choices=("faces", "liveness", "detection"),
                   help="faces: DIR/<person>/*.jpg; liveness: DIR/live, DIR/spoof (photos or "
                        "clips); detection: photos with DIR/boxes.json, or one face each")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--out", metavar="FILE",
                   help="the calibration file to write (default: faceedge-calibration-KIND.json)")
    p.add_argument("--plot", metavar="PNG", help="draw the DET curve (needs the [plot] extra)")
    p.add_argument("--frr", default="1e-4,1e-3,1e-2",
                   help="liveness: false-reject targets of LOW, NORMAL, HIGH (default: "
                        "%(default)s, Baidu's frr_ names)")
    p.add_argument("--frame-step", type=int, default=5,
                   help="liveness: of a clip, every N-th frame is one capture (default: "
                        "%(default)s)")
    p.add_argument("--max-false-per-image", type=float, default=0.05,
                   help="detection: the chosen threshold is the lowest whose false detections "
                        "per photo stay within this (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="draw no progress bar")
    add_json_option(p)
    add_engine_options(p)
    p.set_defaults(func=_cmd_calibrate)
