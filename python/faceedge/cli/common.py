"""What every ``faceedge`` subcommand shares: exit codes, JSON and table output, the engine options."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Sequence

from ..errors import (FaceEdgeError, ImageError, InferenceError, InvalidParameterError,
                      LibraryError, ModelError, RuntimeUnavailableError)

__all__ = ["exit_code", "print_json", "table", "add_models_option", "add_engine_options",
           "engine_from_args", "fail", "add_json_option", "add_library_options",
           "library_from_args", "FATAL_ERRORS", "EXIT_OK", "EXIT_NO_RESULT", "EXIT_BAD_INPUT",
           "EXIT_RUNTIME", "EXIT_PARTIAL", "EXIT_INTERRUPTED", "add_control_options"]

# The exit statuses scripts rely on (docs/cli.md lists them with examples).
EXIT_OK = 0
EXIT_NO_RESULT = 1      # no face, not found, not the same person (verify)
EXIT_BAD_INPUT = 2      # bad parameters or images
EXIT_RUNTIME = 3        # models, ONNX Runtime, the library file
EXIT_PARTIAL = 4        # enroll: some photos enrolled, some failed
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

# Errors no other photo of a batch would escape: a batch command stops at the first of them.
FATAL_ERRORS = (ModelError, RuntimeUnavailableError, InferenceError, LibraryError)


def exit_code(exc: FaceEdgeError) -> int:
    """2: parameter/image errors; 3: model, runtime and library-file errors; 1: any other
    faceedge error (no face, not found)."""
    if isinstance(exc, (InvalidParameterError, ImageError)):
        return EXIT_BAD_INPUT
    if isinstance(exc, FATAL_ERRORS):
        return EXIT_RUNTIME
    return EXIT_NO_RESULT


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def fail(error_code: int, error_msg: str) -> None:
    """Prints Baidu's error object on stderr (for failures that are not an exception)."""
    print(json.dumps({"error_code": error_code, "error_msg": error_msg}, ensure_ascii=False),
          file=sys.stderr)


def table(rows: List[Dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain left-aligned text table; None prints as '-'."""
    cells = [[str(c) for c in columns]] + [["-" if r.get(c) is None else str(r.get(c)) for c in columns]
                                           for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in cells)


CONTROLS = "NONE, LOW, NORMAL or HIGH (default: %(default)s)"


def add_control_options(parser: argparse.ArgumentParser) -> None:
    """Baidu's quality_control and liveness_control."""
    parser.add_argument("--quality-control", default="NONE", help=CONTROLS)
    parser.add_argument("--liveness-control", default="NONE", help=CONTROLS)


def add_models_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", action="append", metavar="DIR",
                        help="directory holding the model files (repeatable); searched before "
                             "$FACEEDGE_MODELS and the user cache")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--models plus the FaceEngine constructor's options."""
    add_models_option(parser)
    parser.add_argument("--pack", default="default", help="model pack (default: %(default)s)")
    parser.add_argument("--detector", help="manifest id of the detector (overrides the pack)")
    parser.add_argument("--embedder", help="manifest id of the embedder (overrides the pack)")
    parser.add_argument("--providers", help="execution providers in order, comma-separated "
                                            "(default: CPUExecutionProvider)")
    parser.add_argument("--allow-fallback", action="store_true",
                        help="skip providers the runtime lacks instead of failing")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads per model (default: the runtime's choice)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say on stderr which model files are used and where they were found")
    parser.add_argument("--calibration", action="append", metavar="FILE",
                        help="a calibration file from faceedge calibrate (repeatable, one per "
                             "kind; default: $FACEEDGE_CALIBRATION, else the manifest's "
                             "measured points)")
    parser.add_argument("--det-threshold", type=float, default=None,
                        help="detector score threshold in (0, 1] (default: a detection "
                             "calibration's, else 0.8)")


def engine_from_args(args: argparse.Namespace):
    """A FaceEngine built from the options of :func:`add_engine_options`."""
    from ..engine import FaceEngine

    providers = [p.strip() for p in args.providers.split(",") if p.strip()] if args.providers else None
    engine = FaceEngine(models=args.models, providers=providers, threads=args.threads,
                        allow_fallback=args.allow_fallback, pack=args.pack,
                        detector=args.detector, embedder=args.embedder,
                        calibration=args.calibration, det_threshold=args.det_threshold)
    if getattr(args, "verbose", False):
        for role, model in engine.info()["models"].items():
            if isinstance(model, dict) and "found_in" in model:
                prepared = "" if model["loaded"] == model["file"] else f", runs {model['loaded']}"
                print(f"faceedge: {role} {model['id']}: {model['file']} "
                      f"(found in: {model['found_in']}{prepared})", file=sys.stderr)
    return engine


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="machine output: JSON on stdout (default: a readable table)")


def add_library_options(parser: argparse.ArgumentParser) -> None:
    """--library, --storage plus the engine options (the library needs the engine's embedder)."""
    add_engine_options(parser)
    parser.add_argument("--library", required=True, metavar="PATH",
                        help="the face library file (SQLite); created by enroll when missing")
    parser.add_argument("--storage", default=None, choices=("float32", "int8"),
                        help="in-memory search storage: float32 (exact) or int8 (int8 scan, "
                             "float32 re-rank); the file remembers the last one given "
                             "(default: that, or float32 for a new library)")


def library_from_args(args: argparse.Namespace, create: bool = False):
    """The FaceLibrary of :func:`add_library_options`. Unless ``create``, a missing file is
    229014, a bad parameter (a typo in --library must not silently create an empty library)."""
    from pathlib import Path

    from ..errors import error
    from ..library import FaceLibrary

    if not create and not Path(args.library).is_file():
        raise error(229014, f"--library: no face library at {args.library} (enroll creates one)")
    return FaceLibrary(args.library, engine_from_args(args), storage=args.storage)
