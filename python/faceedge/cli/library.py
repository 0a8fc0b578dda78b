"""``faceedge search | verify | library``: questions to a face library from the terminal.

``search`` is Baidu's 1:N search (``--multi`` / ``--max-face-num``: M:N multi-search).
``verify`` is 1:1 against one enrolled user, for gates: exit status 0 when the photo's largest
face scores at least ``--threshold`` against the user's best face, 1 when it does not.
``library groups | users | info`` list what a library holds.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List

from ..central.status import replica_status
from ..errors import error
from .common import (EXIT_NO_RESULT, EXIT_OK, add_control_options, add_json_option,
                     add_library_options, library_from_args, print_json, table)
from .photos import SAME_PERSON_SCORE


def _user_rows(user_list: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"rank": i, "user_id": u["user_id"], "group_id": u["group_id"],
             "score": f"{u['score']:.2f}", "user_info": u["user_info"] or None}
            for i, u in enumerate(user_list, 1)]


def _multi_rows(face_list: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for i, face in enumerate(face_list, 1):
        loc = face["location"]
        where = {"face": i, "box": f"{loc['left']:.0f},{loc['top']:.0f} "
                                   f"{loc['width']:.0f}x{loc['height']:.0f}"}
        for user in face["user_list"] or [None]:
            rows.append({**where, "user_id": user and user["user_id"],
                         "group_id": user and user["group_id"],
                         "score": user and f"{user['score']:.2f}"})
    return rows


def _cmd_search(args: argparse.Namespace) -> int:
    from ..options import (MAX_FACE_NUM_MULTI_SEARCH, parse_group_id_list, parse_liveness_control,
                           parse_match_threshold, parse_quality_control, parse_user_id)

    multi = args.multi or args.max_face_num is not None
    if multi and args.user is not None:
        raise error(229014, "--user restricts a 1:N search; multi-search has no user filter")
    groups = parse_group_id_list(args.group)
    parse_match_threshold(args.match_threshold)
    parse_quality_control(args.quality_control)
    parse_liveness_control(args.liveness_control)
    if args.user is not None:
        parse_user_id(args.user)
    controls = {"quality_control": args.quality_control,
                "liveness_control": args.liveness_control}
    with library_from_args(args) as lib:
        if multi:
            result = lib.multi_search(args.photo, groups,
                                      max_face_num=args.max_face_num or MAX_FACE_NUM_MULTI_SEARCH,
                                      match_threshold=args.match_threshold,
                                      max_user_num=args.max_user_num, **controls).to_dict()
        else:
            result = lib.search(args.photo, groups, match_threshold=args.match_threshold,
                                max_user_num=args.max_user_num, user_id=args.user,
                                **controls).to_dict()
    if args.json:
        print_json(result)
    elif multi:
        print(table(_multi_rows(result["face_list"]), ("face", "box", "user_id", "group_id",
                                                        "score")))
    else:
        print(table(_user_rows(result["user_list"]),
                    ("rank", "user_id", "group_id", "score", "user_info")))
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..options import (parse_group_id_list, parse_liveness_control, parse_match_threshold,
                           parse_quality_control, parse_user_id)

    groups = parse_group_id_list(args.group)
    user_id = parse_user_id(args.user)
    threshold = parse_match_threshold(args.threshold)
    parse_quality_control(args.quality_control)
    parse_liveness_control(args.liveness_control)
    with library_from_args(args) as lib:
        # Threshold 0 returns the user's best score whatever it is; the verdict is ours.
        found = lib.search(args.photo, groups, match_threshold=0, max_user_num=1, user_id=user_id,
                           quality_control=args.quality_control,
                           liveness_control=args.liveness_control)
    best = found.user_list[0]
    passed = best.score >= threshold
    result = {"passed": passed, "score": round(best.score, 4), "threshold": threshold,
              "user_id": best.user_id, "group_id": best.group_id, "face_token": found.face_token}
    if args.json:
        print_json(result)
    else:
        print(table([{**result, "score": f"{best.score:.2f}", "threshold": f"{threshold:g}",
                      "passed": "passed" if passed else "FAILED"}],
                    ("passed", "user_id", "group_id", "score", "threshold")))
    return EXIT_OK if passed else EXIT_NO_RESULT


def _check_paging(args: argparse.Namespace) -> None:
    from ..options import parse_length, parse_start

    args.start, args.length = parse_start(args.start), parse_length(args.length)


def _cmd_groups(args: argparse.Namespace) -> int:
    _check_paging(args)
    with library_from_args(args) as lib:
        groups = lib.get_group_list(args.start, args.length).to_dict()
    if args.json:
        print_json(groups)
    else:
        print(table([{"group_id": g} for g in groups["group_id_list"]], ("group_id",)))
    return EXIT_OK


def _cmd_users(args: argparse.Namespace) -> int:
    from ..options import parse_group_id

    _check_paging(args)
    args.group = parse_group_id(args.group)
    with library_from_args(args) as lib:
        ids = lib.get_group_users(args.group, args.start, args.length).user_id_list
        rows = [{"user_id": uid,
                 "user_info": lib.get_user(uid, args.group).user_list[0].user_info or None,
                 "faces": len(lib.face_getlist(uid, args.group).face_list)} for uid in ids]
    if args.json:
        print_json({"group_id": args.group, "user_list": rows})
    else:
        print(table(rows, ("user_id", "faces", "user_info")))
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    with library_from_args(args) as lib:
        info = lib.info()
        if lib.replica_of:  # a gate following a central library: where it is
            info.update(replica_status(lib))
    if args.json:
        print_json(info)
    else:
        print(table([{"key": k, "value": v} for k, v in info.items()], ("key", "value")))
    return EXIT_OK


def _cmd_protect(args: argparse.Namespace) -> int:
    """chmod 600 the library and its companions; no engine, no opening (works on a file
    another process holds)."""
    from ..library.permissions import library_files, protect

    files = library_files(Path(args.library))
    if not files[0].is_file():
        raise error(229022, f"no library file at {args.library!r}")
    changed = protect(files)
    for path in changed:
        print(f"faceedge: {path}: now owner-only (600)")
    if not changed:
        print(f"faceedge: {args.library} and its companions were already owner-only")
    return EXIT_OK


def _add_paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", default=0, help="first item (default: 0)")
    p.add_argument("--length", default=100, help="how many, at most 1000 (default: 100)")


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("search", help="1:N search of a photo in a face library (--multi: M:N)")
    add_library_options(p)
    p.add_argument("photo")
    p.add_argument("--group", required=True, help="group_id list, comma-separated (1..10)")
    p.add_argument("--max-user-num", default=1,
                   help="users per face, best first: 1..50 (multi-search 1..20) (default: 1)")
    p.add_argument("--match-threshold", default=80,
                   help="lowest score (0..100) a user must reach (default: %(default)s)")
    p.add_argument("--user", default=None, help="compare with this user's faces only (1:N)")
    p.add_argument("--multi", action="store_true",
                   help="multi-search: every face of the photo (up to 10)")
    p.add_argument("--max-face-num", default=None,
                   help="multi-search the largest 1..10 faces (implies --multi)")
    add_control_options(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("verify", help="1:1: is this photo the enrolled user? (exit 0 yes, 1 no)",
                       description="Compare the photo's largest face with the user's enrolled "
                                   "faces. Exit status 0 when the best score reaches --threshold, "
                                   "1 when it does not (or no face / no such user).")
    add_library_options(p)
    p.add_argument("photo")
    p.add_argument("--group", required=True, help="group_id (or a comma-separated list)")
    p.add_argument("--user", required=True, help="the user_id the person claims to be")
    p.add_argument("--threshold", default=SAME_PERSON_SCORE,
                   help="score (0..100) to pass (default: %(default)g, FAR 1e-4)")
    add_control_options(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_verify)

    lib = sub.add_parser("library", help="what a face library holds: groups, users, info")
    lsub = lib.add_subparsers(dest="library_command", metavar="ACTION")
    lsub.required = True
    p = lsub.add_parser("groups", help="the group ids")
    add_library_options(p)
    _add_paging(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_groups)
    p = lsub.add_parser("users", help="a group's users with their info and face counts")
    add_library_options(p)
    p.add_argument("--group", required=True)
    _add_paging(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_users)
    p = lsub.add_parser("protect", help="make the library, its -wal/-shm and the enrolment "
                                        "journal owner-only (chmod 600)")
    p.add_argument("--library", required=True, metavar="PATH")
    p.set_defaults(func=_cmd_protect)
    p = lsub.add_parser("info", help="counts, embedder, storage, memory, SIMD level")
    add_library_options(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_info)
