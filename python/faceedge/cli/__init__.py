"""The ``faceedge`` command line. One module per command group; each has ``register(sub)``.

Commands: ``detect``, ``match``, ``faceverify`` (photos.py); ``enroll`` (enroll.py); ``search``,
``verify``, ``library groups|users|info`` (library.py); ``serve`` (serve.py: Baidu v3 REST
paths on a local server); ``watch`` (watch.py: track, identify and liveness-check a video,
camera or stream); ``bench``; ``models``; ``calibrate`` (faces, liveness, detection: a site's
own captures -> a calibration file); ``info``.
Every command prints a readable table, or with ``--json`` machine output on stdout (Baidu's
``result`` where Baidu has one). Errors print Baidu's ``{"error_code", "error_msg"}`` on stderr.

Exit status (docs/cli.md):
  0    success (verify: the person matches)
  1    no result: no face, not found (222207, 2231xx), verify: not the same person,
       enroll: no photo enrolled
  2    bad parameters or images (2220xx, 2162xx, 229014)
  3    models, ONNX Runtime or the library file (2290xx)
  4    partial success: enroll enrolled some photos, others failed
  130  interrupted (Ctrl-C); an interrupted enroll keeps what it enrolled
  141  stdout closed early (``| head``)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional, Sequence

from ..errors import FaceEdgeError
from . import (bench, calibrate, central, enroll, info, library, models, photos, serve, sync,
               watch)
from .common import exit_code

__all__ = ["main", "build_parser", "exit_code"]

COMMAND_GROUPS = (photos, enroll, library, serve, sync, central, watch, bench, models, calibrate,
                  info)


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
    except BrokenPipeError:  # ``faceedge ... | head`` stopped reading: no traceback, no more output
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the signal
