"""``faceedge sync``: a gate's library follows a central one (faceedge.central).

One process owns a library file, so ``sync --follow`` is for a gate whose searches run in the
same process through the Python API, or for a staging copy; a gate script calls
``Replica(library, url).start()`` itself (docs/central.md).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .common import EXIT_OK, add_json_option, add_library_options, library_from_args, print_json

__all__ = ["register"]


def _cmd_sync(args: argparse.Namespace) -> int:
    from ..central import Replica

    with library_from_args(args, create=True) as lib:
        replica = Replica(lib, args.central, batch=args.batch)
        applied = replica.sync()
        status = replica.status()
        if args.follow:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            print(f"faceedge sync: {lib.path} follows {status['central']} from change "
                  f"{status['position']} (poll {args.poll:g} s); Ctrl-C stops", file=sys.stderr,
                  flush=True)
            replica.follow(stop, poll=args.poll)
            status = replica.status()
    status["applied"] = applied
    if args.json:
        print_json(status)
    else:
        print(f"{args.library}: at change {status['position']} of {status['head']} "
              f"({status['lag']} behind) from {status['central']}")
    return EXIT_OK


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("sync", help="bring a gate's library up to date with a central library "
                                    "(PostgreSQL; the [central] extra)")
    add_library_options(p)
    p.add_argument("--central", required=True, metavar="URL",
                   help="the central library (postgresql://user@host/db)")
    p.add_argument("--follow", action="store_true",
                   help="keep applying changes as they are committed until interrupted")
    p.add_argument("--poll", type=float, default=1.0,
                   help="with --follow: seconds between checks when no notification arrives "
                        "(the propagation bound; default %(default)s)")
    p.add_argument("--batch", type=int, default=2000,
                   help="changes applied per local transaction (default %(default)s)")
    add_json_option(p)
    p.set_defaults(func=_cmd_sync)
