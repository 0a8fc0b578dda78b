"""``faceedge detect | match | faceverify``: one photo (or a few) in, Baidu's ``result`` JSON out."""
from __future__ import annotations

import argparse

from .common import add_engine_options, engine_from_args, print_json

CONTROLS = "NONE, LOW, NORMAL or HIGH (default: %(default)s)"


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
                                           liveness_control=args.liveness_control)
    print_json(result.to_dict())
    return 0


def _cmd_match(args: argparse.Namespace) -> int:
    from ..options import parse_liveness_control, parse_quality_control

    parse_quality_control(args.quality_control)
    parse_liveness_control(args.liveness_control)
    result = engine_from_args(args).match(args.image1, args.image2,
                                          quality_control=args.quality_control,
                                          liveness_control=args.liveness_control)
    print_json(result.to_dict())
    return 0


def _cmd_faceverify(args: argparse.Namespace) -> int:
    from ..options import parse_face_field, parse_faceverify_option

    parse_face_field(args.face_field)
    parse_faceverify_option(args.option)
    result = engine_from_args(args).faceverify(args.photos, face_field=args.face_field,
                                               option=args.option)
    print_json(result.to_dict())
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
    p.add_argument("--quality-control", default="NONE", help=CONTROLS)
    p.add_argument("--liveness-control", default="NONE", help=CONTROLS)
    p.add_argument("--json", action="store_true", help="JSON output (the default for detect)")
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("match", help="compare the largest face of two photos")
    add_engine_options(p)
    p.add_argument("image1")
    p.add_argument("image2")
    p.add_argument("--quality-control", default="NONE", help=CONTROLS)
    p.add_argument("--liveness-control", default="NONE", help=CONTROLS)
    p.add_argument("--json", action="store_true", help="JSON output (the default for match)")
    p.set_defaults(func=_cmd_match)

    p = sub.add_parser("faceverify", help="image liveness of 1, 3 or 8 photos of one person")
    add_engine_options(p)
    p.add_argument("photos", nargs="+", metavar="PHOTO")
    p.add_argument("--face-field", default=None, help="extra fields: landmark, quality, gender, emotion")
    p.add_argument("--option", default="COMMON",
                   help="COMMON or GATE (stricter thresholds) (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="JSON output (the default)")
    p.set_defaults(func=_cmd_faceverify)
