"""The ``faceedge`` command line.

    faceedge detect PHOTO [--max-face-num N] [--face-sort-type 0|1] [--min-face-size PX]
                          [--face-field F] [--quality-control L] [--liveness-control L]
    faceedge match A B [--quality-control L] [--liveness-control L]
    faceedge faceverify PHOTO [PHOTO ...] [--face-field F] [--option COMMON|GATE]
    faceedge models list | verify [ID ...] | prepare [ID ...]
    faceedge info

``detect``, ``match`` and ``faceverify`` print Baidu's ``result`` JSON on stdout. Errors print Baidu's
``{"error_code", "error_msg"}`` on stderr; the exit status is 2 for parameter and image errors,
3 for model and runtime errors, 1 for anything else (no face, unknown face token, ...).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional, Sequence

from .errors import (FaceEdgeError, ImageError, InferenceError, InvalidParameterError, ModelError,
                     RuntimeUnavailableError)

__all__ = ["main", "build_parser", "exit_code"]


def exit_code(exc: FaceEdgeError) -> int:
    """2: parameter/image errors; 3: model/runtime errors; 1: any other faceedge error."""
    if isinstance(exc, (InvalidParameterError, ImageError)):
        return 2
    if isinstance(exc, (ModelError, RuntimeUnavailableError, InferenceError)):
        return 3
    return 1


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _engine(args: argparse.Namespace):
    from .engine import FaceEngine

    providers = [p.strip() for p in args.providers.split(",") if p.strip()] if args.providers else None
    return FaceEngine(models=args.models, providers=providers, threads=args.threads,
                      allow_fallback=args.allow_fallback, pack=args.pack,
                      detector=args.detector, embedder=args.embedder)


def _cmd_detect(args: argparse.Namespace) -> int:
    from .options import parse_detect_options

    # Validate the options before loading any model, so a typo fails fast.
    parse_detect_options(args.max_face_num, args.face_sort_type, args.min_face_size, args.face_field,
                         args.quality_control, args.liveness_control)
    result = _engine(args).detect(args.photo, max_face_num=args.max_face_num,
                                  face_sort_type=args.face_sort_type,
                                  min_face_size=args.min_face_size, face_field=args.face_field,
                                  quality_control=args.quality_control,
                                  liveness_control=args.liveness_control)
    _print_json(result.to_dict())
    return 0


def _cmd_match(args: argparse.Namespace) -> int:
    from .options import parse_liveness_control, parse_quality_control

    parse_quality_control(args.quality_control)
    parse_liveness_control(args.liveness_control)
    result = _engine(args).match(args.image1, args.image2, quality_control=args.quality_control,
                                 liveness_control=args.liveness_control)
    _print_json(result.to_dict())
    return 0


def _cmd_faceverify(args: argparse.Namespace) -> int:
    from .options import parse_face_field, parse_faceverify_option

    parse_face_field(args.face_field)
    parse_faceverify_option(args.option)
    result = _engine(args).faceverify(args.photos, face_field=args.face_field, option=args.option)
    _print_json(result.to_dict())
    return 0


def _table(rows: List[Dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[str(c) for c in columns]] + [["-" if r.get(c) is None else str(r.get(c)) for c in columns]
                                           for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in cells)


def _cmd_models_list(args: argparse.Namespace) -> int:
    from .models import list_models

    rows = list_models(models=args.models)
    if args.json:
        _print_json(rows)
    else:
        print(_table(rows, ("id", "role", "status", "licence", "path")))
    return 0


def _cmd_models_verify(args: argparse.Namespace) -> int:
    from .models import verify_models

    rows = verify_models(ids=args.ids or None, models=args.models)
    if args.json:
        _print_json(rows)
    else:
        print(_table(rows, ("id", "role", "status", "path")))
        for row in rows:
            if row["status"] == "corrupt":
                print(f"{row['id']}: sha256 {row.get('sha256')} expected {row.get('expected_sha256')}",
                      file=sys.stderr)
    bad = [r["id"] for r in rows if r["status"] != "ok"]
    if bad:
        print(json.dumps({"error_code": 229002 if any(r["status"] == "corrupt" for r in rows)
                          else 229001,
                          "error_msg": f"models not verified: {', '.join(bad)}"}), file=sys.stderr)
        return 3
    return 0


def _cmd_models_prepare(args: argparse.Namespace) -> int:
    from .models import cache_dir, find_model, load_manifest
    from .prepare import prepare_model

    manifest = load_manifest()
    if args.ids:
        entries = [manifest.get(i) for i in args.ids]
    else:  # every model a pack uses that the manifest marks for preparation
        ids = {e.id for roles in manifest.packs.values() for i in roles.values()
               for e in manifest.model_set(i).members}
        entries = [manifest.get(i) for i in sorted(ids) if manifest.get(i).prepare]
    rows = []
    for entry in entries:
        source = find_model(entry.id, args.models, manifest)
        target = prepare_model(source, cache_dir() / "prepared", source_sha256=entry.sha256) \
            if entry.prepare else source
        rows.append({"id": entry.id, "source": str(source), "prepared": str(target)})
    if args.json:
        _print_json(rows)
    else:
        print(_table(rows, ("id", "source", "prepared")))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from . import __version__
    from ._runtime import runtime_info

    info = {"faceedge_version": __version__}
    info.update(runtime_info())
    _print_json(info)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``faceedge`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="faceedge", description="Offline face detection and 1:1 matching (Baidu face v3 "
                                     "semantics). Results are printed as JSON.")
    parser.add_argument("--version", action="version", version=f"faceedge {__version__}")

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--models", action="append", metavar="DIR",
                       help="directory holding the model files (repeatable); searched before "
                            "$FACEEDGE_MODELS and the user cache")

    engine = argparse.ArgumentParser(add_help=False, parents=[where])
    engine.add_argument("--pack", default="default", help="model pack (default: %(default)s)")
    engine.add_argument("--detector", help="manifest id of the detector (overrides the pack)")
    engine.add_argument("--embedder", help="manifest id of the embedder (overrides the pack)")
    engine.add_argument("--providers", help="execution providers in order, comma-separated "
                                            "(default: CPUExecutionProvider)")
    engine.add_argument("--allow-fallback", action="store_true",
                        help="skip providers the runtime lacks instead of failing")
    engine.add_argument("--threads", type=int, default=0,
                        help="intra-op threads per model (default: the runtime's choice)")

    controls = "NONE, LOW, NORMAL or HIGH (default: %(default)s)"
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("detect", parents=[engine], help="detect faces in a photo")
    p.add_argument("photo", help="image file path (or base64 text)")
    p.add_argument("--max-face-num", default=1, help="1..120 (default: %(default)s)")
    p.add_argument("--face-sort-type", default=0,
                   help="0: largest first, 1: nearest the centre first (default: %(default)s)")
    p.add_argument("--min-face-size", default=0, help="minimum face side in px (default: 0)")
    p.add_argument("--face-field", default=None,
                   help="Baidu face_field list: landmark, quality, liveness, gender, "
                        "emotion")
    p.add_argument("--quality-control", default="NONE", help=controls)
    p.add_argument("--liveness-control", default="NONE", help=controls)
    p.add_argument("--json", action="store_true", help="JSON output (the default for detect)")
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("match", parents=[engine], help="compare the largest face of two photos")
    p.add_argument("image1")
    p.add_argument("image2")
    p.add_argument("--quality-control", default="NONE", help=controls)
    p.add_argument("--liveness-control", default="NONE", help=controls)
    p.add_argument("--json", action="store_true", help="JSON output (the default for match)")
    p.set_defaults(func=_cmd_match)

    p = sub.add_parser("faceverify", parents=[engine],
                       help="image liveness of 1, 3 or 8 photos of one person")
    p.add_argument("photos", nargs="+", metavar="PHOTO")
    p.add_argument("--face-field", default=None, help="extra fields: landmark, quality, gender, emotion")
    p.add_argument("--option", default="COMMON",
                   help="COMMON or GATE (stricter thresholds) (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="JSON output (the default)")
    p.set_defaults(func=_cmd_faceverify)

    models = sub.add_parser("models", help="list, verify or prepare model files")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True
    p = msub.add_parser("list", parents=[where], help="every manifest model and where it is")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_models_list)
    p = msub.add_parser("verify", parents=[where], help="check size and sha256 of model files")
    p.add_argument("ids", nargs="*", metavar="ID", help="model ids (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_models_verify)
    p = msub.add_parser("prepare", parents=[where],
                        help="rewrite int8bq models once into their fast form (cached)")
    p.add_argument("ids", nargs="*", metavar="ID", help="model ids (default: the packs' models)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_models_prepare)

    p = sub.add_parser("info", help="ONNX Runtime and SIMD facts, as JSON")
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FaceEdgeError as exc:
        print(json.dumps(exc.to_dict(), ensure_ascii=False), file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
