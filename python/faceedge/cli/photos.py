"""``faceedge detect | match | faceverify``: one photo (or a few) in; a table, or with ``--json``
Baidu's ``result`` JSON, out."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List

from .common import (add_control_options, add_engine_options, add_json_option, engine_from_args,
                     print_json, table)

SAME_PERSON_SCORE = 80.0  # Baidu's recommended match threshold; 80 is FAR 1e-4 on our scale


def _face_rows(face_list: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for i, face in enumerate(face_list, 1):
        loc, angle = face["location"], face["angle"]
        row = {"face": i, "left": round(loc["left"]), "top": round(loc["top"]),
               "width": round(loc["width"]), "height": round(loc["height"]),
               "size": round(min(loc["width"], loc["height"])),
               "score": f"{face['face_probability']:.3f}",
               "yaw": round(angle["yaw"]), "pitch": round(angle["pitch"]),
               "roll": round(angle["roll"])}
        if "quality" in face:
            row.update(blur=face["quality"]["blur"], light=face["quality"]["illumination"],
                       complete=face["quality"]["completeness"])
        if "liveness" in face:
            row["liveness"] = f"{face['liveness']['livemapscore']:.4f}"
        for attr in ("gender", "emotion"):
            if attr in face:
                row[attr] = f"{face[attr]['type']} {face[attr]['probability']:.2f}"
        rows.append(row)
    return rows


def _columns(rows: List[Dict[str, Any]]) -> List[str]:
    """Every key of the rows, in first-seen order (optional fields appear only when asked for)."""
    seen: Dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _cmd_detect(args: argparse.Namespace) -> int:
    from ..options import parse_detect_options

    # Validate the options before loading any model, so a typo fails fast.
    parse_detect_options(args.max_face_num, args.face_sort_type, args.min_face_size, args.face_field,
                         args.quality_control, args.liveness_control)
    result = engine_from_args(args).detect(args.photo, max_face_num=args.max_face_num,
                                           face_sort_type=args.face_sort_type,
                                           min_face_size=args.min_face_size,
                                           face_field=args.face_field,
                                           quality_control=args.quality_control,
                                           liveness_control=args.liveness_control).to_dict()
    if args.json:
        print_json(result)
    else:
        rows = _face_rows(result["face_list"])
        print(table(rows, _columns(rows)))
    return 0


def _cmd_match(args: argparse.Namespace) -> int:
    from ..options import parse_liveness_control, parse_match_threshold, parse_quality_control

    parse_quality_control(args.quality_control)
    parse_liveness_control(args.liveness_control)
    threshold = parse_match_threshold(args.threshold)
    result = engine_from_args(args).match(args.image1, args.image2,
                                          quality_control=args.quality_control,
                                          liveness_control=args.liveness_control).to_dict()
    if args.json:
        print_json(result)
    else:
        verdict = "same person" if result["score"] >= threshold else "different people"
        print(table([{"score": f"{result['score']:.2f}", "cosine": f"{result['cosine']:.4f}",
                      "threshold": f"{threshold:g}", "verdict": verdict}],
                    ("score", "cosine", "threshold", "verdict")))
    return 0


def _cmd_faceverify(args: argparse.Namespace) -> int:
    from ..options import parse_face_field, parse_faceverify_option

    parse_face_field(args.face_field)
    parse_faceverify_option(args.option)
    result = engine_from_args(args).faceverify(args.photos, face_field=args.face_field,
                                               option=args.option).to_dict()
    if args.json:
        print_json(result)
        return 0
    rows = [{"photo": photo, **row} for photo, row in zip(args.photos,
                                                        _face_rows(result["face_list"]))]
    print(table(rows, _columns(rows)))
    # Baidu leaves the decision to the caller: show it at each calibrated point.
    live = result["face_liveness"]
    print()
    print(table([{"threshold": name, "value": f"{value:.4f}",
                  "live": "yes" if live >= value else "no"}
                 for name, value in result["thresholds"].items()],
                ("threshold", "value", "live")))
    print(f"face_liveness {live:.4f}")
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("detect", help="detect faces in a photo")
    add_engine_options(p)
    p.add_argument("photo", help="image file path (or base64 text)")
    p.add_argument("--max-face-num", default=1, help="1..120 (default: %(default)s)")
    p.add_argument("--face-sort-type", default=0,
                   help="0: largest first, 1: nearest the centre first (default: %(default)s)")
    p.add_argument("--min-face-size", default=0, help="minimum face side in px (default: 0)")
    p.add_argument("--face-field", default=None,
                   help="Baidu face_field list: landmark, quality, liveness, gender, emotion")
    add_control_options(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("match", help="compare the largest face of two photos")
    add_engine_options(p)
    p.add_argument("image1")
    p.add_argument("image2")
    add_control_options(p)
    p.add_argument("--threshold", default=SAME_PERSON_SCORE,
                   help="score (0..100) from which the table says 'same person'; the JSON "
                        "output is Baidu's result and has no verdict (default: %(default)g)")
    add_json_option(p)
    p.set_defaults(func=_cmd_match)

    p = sub.add_parser("faceverify", help="image liveness of 1, 3 or 8 photos of one person")
    add_engine_options(p)
    p.add_argument("photos", nargs="+", metavar="PHOTO")
    p.add_argument("--face-field", default=None, help="extra fields: landmark, quality, gender, emotion")
    p.add_argument("--option", default="COMMON",
                   help="COMMON or GATE (stricter thresholds) (default: %(default)s)")
    add_json_option(p)
    p.set_defaults(func=_cmd_faceverify)
