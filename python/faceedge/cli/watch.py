"""``faceedge watch SOURCE --library L --group G``: who is in front of the camera, live.

SOURCE is a video file, a camera index (``0``) or a stream URL (``rtsp://...``). Faces are
tracked (faceedge.stream.FaceTracker), each searched once in the library, and checked for
action liveness. Output: a table of the tracks, redrawn as they change on a terminal (printed
at each event otherwise, and once more at the end); ``--json``: one JSON object per event per
line. ``--draw out.mp4`` writes the annotated video. ``--open-cmd CMD`` runs CMD through the
shell for every ``access`` event (a recognised live user), with FACEEDGE_USER_ID,
FACEEDGE_GROUP_ID, FACEEDGE_USER_INFO, FACEEDGE_SCORE, FACEEDGE_LIVE_SCORE and
FACEEDGE_TRACK_ID in its environment; it does not hold up the stream. SIGINT and SIGTERM stop
cleanly: the tracks end, the video is finalised, commands started are waited for.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Dict, List

from .common import EXIT_INTERRUPTED, EXIT_OK, add_library_options, table

COLUMNS = ("track", "box", "identity", "user_id", "score", "liveness", "live_score", "searches")


def _row(view) -> Dict[str, object]:
    x, y, w, h = view.box
    return {"track": view.track_id, "box": f"{x:.0f},{y:.0f} {w:.0f}x{h:.0f}",
            "identity": view.identity + (" (coasting)" if view.coasting else ""),
            "user_id": view.user_id, "score": None if view.score is None else f"{view.score:.1f}",
            "liveness": view.liveness,
            "live_score": None if view.live_score is None else f"{view.live_score:.2f}",
            "searches": view.searches}


def _open_command(cmd: str, event, children: List[subprocess.Popen]) -> None:
    env = dict(os.environ)
    env.update(FACEEDGE_USER_ID=event.user_id or "", FACEEDGE_GROUP_ID=event.group_id or "",
               FACEEDGE_USER_INFO=event.user_info or "",
               FACEEDGE_SCORE=f"{event.score:.2f}" if event.score is not None else "",
               FACEEDGE_LIVE_SCORE=(f"{event.live_score:.3f}" if event.live_score is not None
                                    else ""),
               FACEEDGE_TRACK_ID=str(event.track_id))
    children.append(subprocess.Popen(cmd, shell=True, env=env))


def _print_frame(result, tty: bool) -> None:
    text = table([_row(v) for v in result.tracks], COLUMNS) if result.tracks else "(no faces)"
    events = "  ".join(f"{e.kind}#{e.track_id}" + (f"({e.user_id})" if e.user_id else "")
                       for e in result.events)
    if tty:
        sys.stdout.write("\x1b[H\x1b[J")  # redraw in place
    print(f"frame {result.frame_index}  t={result.timestamp:.2f}s  {events}\n{text}\n",
          flush=True)


def _cmd_watch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import error
    from ..library import FaceLibrary
    from ..stream import FaceTracker, VideoSource
    from ..stream.drawing import VideoWriter, draw_tracks
    from ..stream.sources import stop_on_signals
    from .common import engine_from_args

    if not Path(args.library).is_file():
        raise error(229014, f"--library: no face library at {args.library} (enroll creates one)")
    if args.detect_every < 1:
        raise error(229014, f"--detect-every must be >= 1, got {args.detect_every}")
    from ..options import parse_group_id_list, parse_match_threshold

    groups = parse_group_id_list(args.group)  # bad options fail before any model loads
    parse_match_threshold(args.match_threshold)
    engine = engine_from_args(args)
    with FaceLibrary(args.library, engine, storage=args.storage) as lib:
        tracker = FaceTracker(engine, lib, groups, models=args.models,
                              detect_every=args.detect_every,
                              match_threshold=float(args.match_threshold),
                              liveness=not args.no_liveness)
        children: List[subprocess.Popen] = []
        if args.open_cmd:
            tracker.on_access(lambda event: _open_command(args.open_cmd, event, children))
        source = VideoSource(args.source, live=True if args.live else None)
        writer = None
        tty = sys.stdout.isatty() and not args.json
        seen: Dict[int, object] = {}
        frames = 0

        def show(result) -> None:
            for view in result.tracks:
                seen[view.track_id] = view
            if args.json:
                for event in result.events:
                    print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
            elif result.events or (tty and result.frame_index % 15 == 0):
                _print_frame(result, tty)

        try:
            with stop_on_signals(source) as received:
                for frame, timestamp in source:
                    result = tracker.process(frame, timestamp)
                    frames += 1
                    show(result)
                    if args.draw:
                        if writer is None:
                            writer = VideoWriter(args.draw, source.fps or 30.0)
                        writer.write(draw_tracks(frame, result.tracks,
                                                 f"frame {result.frame_index}"))
                    if args.max_frames and frames >= args.max_frames:
                        break
            for event in tracker.close():
                if args.json:
                    print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
        finally:
            source.close()
            if writer is not None:
                writer.close()
            for child in children:
                child.wait()
        if not args.json:
            print(f"{frames} frames, {len(seen)} tracks, {tracker.embeddings} embeddings, "
                  f"{source.dropped} stale frames dropped")
            print(table([_row(v) for v in seen.values()], COLUMNS) if seen else "(no faces)")
        return EXIT_INTERRUPTED if received else EXIT_OK


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("watch", help="track, identify and liveness-check the faces of a video, "
                                     "camera or stream",
                       description=__doc__.split("\n\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_library_options(p)
    p.add_argument("source", help="video file, camera index (0) or stream URL (rtsp://...)")
    p.add_argument("--group", required=True, help="group_id list to search, comma-separated")
    p.add_argument("--match-threshold", default=80, type=float,
                   help="lowest score (0..100) to recognise a user (default: %(default)s)")
    p.add_argument("--detect-every", default=5, type=int,
                   help="full-frame detection every N frames; crops around the tracks in "
                        "between (default: %(default)s)")
    p.add_argument("--no-liveness", action="store_true",
                   help="no action liveness: access on recognition alone")
    p.add_argument("--live", action="store_true",
                   help="treat a file like a camera: drop frames when processing is slower")
    p.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: never)")
    p.add_argument("--draw", metavar="OUT.mp4", help="write the annotated video here")
    p.add_argument("--open-cmd", metavar="CMD",
                   help="shell command run for each recognised live user (env: FACEEDGE_USER_ID, "
                        "FACEEDGE_GROUP_ID, FACEEDGE_USER_INFO, FACEEDGE_SCORE, "
                        "FACEEDGE_LIVE_SCORE, FACEEDGE_TRACK_ID)")
    p.add_argument("--json", action="store_true", help="one JSON event per line on stdout")
    p.set_defaults(func=_cmd_watch)
