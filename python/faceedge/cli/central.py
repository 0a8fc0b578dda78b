"""``faceedge central``: upkeep of a central library (faceedge.central)."""
from __future__ import annotations

import argparse

from .common import EXIT_OK, add_json_option, print_json

__all__ = ["register"]


def _cmd_compact(args: argparse.Namespace) -> int:
    from ..central.compact import compact_log

    report = compact_log(args.central)
    if args.json:
        print_json(report)
    else:
        mb = 2 ** 20
        print(f"{report['central']}: change log {report['rows_before']:,} -> "
              f"{report['rows_after']:,} rows, embeddings "
              f"{report['embedding_bytes_before'] / mb:.1f} -> "
              f"{report['embedding_bytes_after'] / mb:.1f} MB (head stays at change "
              f"{report['head']:,}; gates at any position stay right)")
    return EXIT_OK


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("central", help="upkeep of a central library (PostgreSQL; the [central] "
                                       "extra)")
    actions = p.add_subparsers(dest="action", required=True)
    compact = actions.add_parser(
        "compact", help="drop the change-log rows a later delete undoes, so a new gate's first "
                        "sync replays the library, not its history (docs/central.md)")
    compact.add_argument("--central", required=True, metavar="URL",
                         help="the central library (postgresql://user@host/db)")
    add_json_option(compact)
    compact.set_defaults(func=_cmd_compact)
