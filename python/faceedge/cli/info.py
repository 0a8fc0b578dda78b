"""``faceedge info``: the ONNX Runtime and SIMD facts of this machine."""
from __future__ import annotations

import argparse

from .common import print_json


def _cmd_info(args: argparse.Namespace) -> int:
    from .. import __version__
    from .._runtime import runtime_info

    info = {"faceedge_version": __version__}
    info.update(runtime_info())
    print_json(info)
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("info", help="ONNX Runtime and SIMD facts, as JSON")
    p.set_defaults(func=_cmd_info)
