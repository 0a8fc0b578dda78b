"""The ``faceedge`` command line. One module per command group; each has ``register(sub)``.

``detect``, ``match`` and ``faceverify`` print Baidu's ``result`` JSON on stdout. Errors print Baidu's
``{"error_code", "error_msg"}`` on stderr; the exit status is 2 for parameter and image errors,
3 for model and runtime errors, 1 for anything else (no face, unknown face token, ...),
130 when interrupted.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from ..errors import FaceEdgeError
from . import info, models, photos
from .common import exit_code

__all__ = ["main", "build_parser", "exit_code"]

COMMAND_GROUPS = (photos, models, info)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``faceedge`` command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="faceedge", description="Offline face detection, matching and search with Baidu face "
                                     "v3 semantics.")
    parser.add_argument("--version", action="version", version=f"faceedge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in COMMAND_GROUPS:
        group.register(sub)
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
