"""What every ``faceedge`` subcommand shares: exit codes, JSON and table output, the engine options."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Sequence

from ..errors import (FaceEdgeError, ImageError, InferenceError, InvalidParameterError, ModelError,
                      RuntimeUnavailableError)

__all__ = ["exit_code", "print_json", "table", "add_models_option", "add_engine_options",
           "engine_from_args", "fail"]


def exit_code(exc: FaceEdgeError) -> int:
    """2: parameter/image errors; 3: model/runtime errors; 1: any other faceedge error."""
    if isinstance(exc, (InvalidParameterError, ImageError)):
        return 2
    if isinstance(exc, (ModelError, RuntimeUnavailableError, InferenceError)):
        return 3
    return 1


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


def engine_from_args(args: argparse.Namespace):
    """A FaceEngine built from the options of :func:`add_engine_options`."""
    from ..engine import FaceEngine

    providers = [p.strip() for p in args.providers.split(",") if p.strip()] if args.providers else None
    return FaceEngine(models=args.models, providers=providers, threads=args.threads,
                      allow_fallback=args.allow_fallback, pack=args.pack,
                      detector=args.detector, embedder=args.embedder)
