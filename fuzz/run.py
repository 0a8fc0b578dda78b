"""Run a fuzz harness: ``python -m fuzz.run NAME [--count N] [--seed S] [--start I]``, or replay
one input: ``python -m fuzz.run NAME --replay I [--seed S]`` (prints its traceback).

An input passes when the call returns, or raises a ``FaceEdgeError`` that carries an integer
Baidu ``error_code``. Anything else (another exception, a crash, a hang) is a finding; the
index of the input in progress is kept in ``--progress FILE`` so a crash is replayable too.
Exit status: 0 no finding, 1 findings.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections import Counter
from typing import Dict, List, Tuple

# OpenCV prints a line per undecodable image (its own logging); a run of 100,000 would drown.
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")

HARNESSES = ("images", "options", "body", "library")


def load(name: str):
    return importlib.import_module(f"fuzz.harness_{name}").Harness()


def run(name: str, count: int, seed: int = 0, start: int = 0, progress: str = "",
        quiet: bool = True) -> Tuple[Counter, List[Tuple[int, str]]]:
    """Inputs ``start .. start+count-1``; returns (outcomes, findings as (index, error))."""
    from faceedge.errors import FaceEdgeError

    harness = load(name)
    outcomes: Counter = Counter()
    findings: List[Tuple[int, str]] = []
    fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if progress else None
    try:
        for index in range(start, start + count):
            if fd is not None:
                os.pwrite(fd, f"{index:<12d}\n".encode(), 0)
            try:
                outcomes[harness.run_one(seed, index)] += 1
            except FaceEdgeError as exc:
                if isinstance(exc.error_code, int) and isinstance(exc.error_msg, str):
                    outcomes[exc.error_code] += 1
                else:
                    findings.append((index, f"FaceEdgeError without a code: {exc!r}"))
            except Exception as exc:  # noqa: BLE001 - every other exception is a finding
                findings.append((index, f"{type(exc).__name__}: {exc}"[:300]))
                if not quiet:
                    traceback.print_exc()
    finally:
        if fd is not None:
            os.close(fd)
        if hasattr(harness, "close"):
            harness.close()
    return outcomes, findings


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    p.add_argument("name", choices=HARNESSES + ("all",))
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--replay", type=int, default=None, metavar="INDEX")
    p.add_argument("--progress", default="", metavar="FILE",
                   help="keep the index of the input in progress here (for crashes)")
    args = p.parse_args(argv)
    if args.replay is not None:
        harness = load(args.name)
        print(harness.run_one(args.seed, args.replay))
        return 0
    names = HARNESSES if args.name == "all" else (args.name,)
    failed = False
    for name in names:
        started = time.monotonic()
        outcomes, findings = run(name, args.count, args.seed, args.start, args.progress)
        spent = time.monotonic() - started
        top: Dict = dict(outcomes.most_common(12))
        print(f"{name}: {args.count} inputs (seed {args.seed}, from {args.start}) in "
              f"{spent:.1f} s, {len(findings)} findings; outcomes {top}", flush=True)
        for index, what in findings[:20]:
            print(f"  finding at index {index}: {what}  (replay: python -m fuzz.run {name} "
                  f"--seed {args.seed} --replay {index})")
        failed = failed or bool(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
