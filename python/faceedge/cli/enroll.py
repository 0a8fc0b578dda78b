"""``faceedge enroll``: enrol a folder of photos into a face library, one transaction per photo.

Photos are files or folders (walked for .jpg/.jpeg/.png/.bmp/.webp); each photo's user_id is the
name of the folder holding it (``photos/<user_id>/*.jpg``) unless ``--user`` names one user for
all. Each photo is one ``FaceLibrary.add_user`` call, which commits on its own: an interrupted run
keeps every photo enrolled before the interruption.

Re-runs skip what is already enrolled, without loading a photo into the models, through a
journal beside the library (``<library>.enrolled.jsonl``): one line per enrolled photo, with the
sha256 of the file, the group, the user and the face_token it got. A photo is skipped only when
the journal names it *and* that face_token is still enrolled for that user (so faces deleted since
are enrolled again). A photo the journal does not know but whose face is already enrolled (same
pixels, other file) is reported as skipped by the library itself (223105). ``--action REPLACE``
never skips: replacing is what was asked for.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import AlreadyExistsError, FaceEdgeError, NotFoundError, error
# The journal names photos (absolute paths) next to face tokens: owner-only like the library.
from ..library.permissions import JOURNAL_SUFFIX, create_private, warn_if_readable_by_others
from .common import (EXIT_INTERRUPTED, EXIT_NO_RESULT, EXIT_OK, EXIT_PARTIAL, FATAL_ERRORS,
                     add_control_options, add_json_option, add_library_options, library_from_args,
                     print_json, table)

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def collect_photos(paths: Sequence[str]) -> List[Path]:
    """Files as given, folders walked (sorted, hidden entries left out); each file once."""
    found: List[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / n for n in sorted(names)
                             if not n.startswith(".") and n.lower().endswith(PHOTO_SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise error(229014, f"no such file or folder: {arg}")
    seen, photos = set(), []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            photos.append(path)
    if not photos:
        raise error(222001, f"no photos ({', '.join(PHOTO_SUFFIXES)}) in {', '.join(paths)}")
    return photos


class Journal:
    """The photos this library enrolled, by (sha256 of the file, group_id, user_id).

    Only a hint for skipping: the library stays the truth, every entry is checked against it."""

    def __init__(self, library_path: str) -> None:
        self.path = Path(library_path + JOURNAL_SUFFIX)
        self._tokens: Dict[Tuple[str, str, str], str] = {}
        self._broken = False
        warn_if_readable_by_others([self.path])
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    e = json.loads(line)
                    self._tokens[(e["sha256"], e["group_id"], e["user_id"])] = e["face_token"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash: that photo is simply enrolled again

    def face_token(self, sha256: str, group_id: str, user_id: str) -> Optional[str]:
        return self._tokens.get((sha256, group_id, user_id))

    def record(self, sha256: str, group_id: str, user_id: str, face_token: str, file: str) -> None:
        self._tokens[(sha256, group_id, user_id)] = face_token
        if self._broken:
            return
        line = json.dumps({"sha256": sha256, "group_id": group_id, "user_id": user_id,
                           "face_token": face_token, "file": file}, ensure_ascii=False)
        try:
            create_private(self.path)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:  # enrolment goes on; only the next run's skipping is lost
            self._broken = True
            print(f"faceedge: cannot write {self.path} ({exc}); a re-run will not skip the "
                  "photos enrolled now", file=sys.stderr)


def _still_enrolled(lib, group_id: str, user_id: str, token: str) -> bool:
    try:
        return any(f.face_token == token for f in lib.face_getlist(user_id, group_id).face_list)
    except NotFoundError:
        return False


def _enrol_one(lib, journal: Journal, photo: Path, args: argparse.Namespace) -> Dict[str, object]:
    """One photo's row: status enrolled / skipped / failed (with Baidu's error code)."""
    from ..options import parse_user_id

    user_id = args.user or photo.parent.name
    row: Dict[str, object] = {"file": str(photo), "user_id": user_id}
    try:
        parse_user_id(user_id)
        try:
            data = photo.read_bytes()
        except OSError as exc:
            raise error(216200, f"cannot read {photo}: {exc.strerror or exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        known = journal.face_token(sha, args.group, user_id)
        if args.skip_existing and args.action == "APPEND" and known \
                and _still_enrolled(lib, args.group, user_id, known):
            row.update(status="skipped", face_token=known)
            return row
        result = lib.add_user(data, args.group, user_id, user_info=args.user_info,
                              quality_control=args.quality_control,
                              liveness_control=args.liveness_control, action_type=args.action)
    except FATAL_ERRORS:
        raise
    except AlreadyExistsError as exc:  # 223105: these very pixels are enrolled for this user
        row.update(status="skipped", error_code=exc.error_code, error_msg=exc.error_msg)
        return row
    except FaceEdgeError as exc:
        row.update(status="failed", error_code=exc.error_code, error_msg=exc.error_msg)
        return row
    journal.record(sha, args.group, user_id, result.face_token, str(photo))
    row.update(status="enrolled", face_token=result.face_token)
    return row


def _report(args: argparse.Namespace, rows: List[Dict[str, object]], total: int,
            journal: Journal, stopped: Optional[str]) -> None:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("enrolled", "skipped", "failed")}
    if args.json:
        print_json({"library": args.library, "group_id": args.group, "photos": total, **counts,
                    "not_attempted": total - len(rows), "stopped": stopped,
                    "journal": str(journal.path), "results": rows})
        return
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        print(table(failed, ("file", "user_id", "error_code", "error_msg")))
    users = len({r["user_id"] for r in rows if r["status"] != "failed"})
    line = (f"{counts['enrolled']} enrolled, {counts['skipped']} already enrolled, "
            f"{counts['failed']} failed of {total} photos ({users} users) in group "
            f"{args.group} of {args.library}")
    if stopped:
        line += f"; {stopped}, {total - len(rows)} photos not attempted"
    print(line)


def _cmd_enroll(args: argparse.Namespace) -> int:
    from ..options import (parse_action_type, parse_group_id, parse_liveness_control,
                           parse_quality_control, parse_user_id, parse_user_info)
    from ..progress import Progress

    # Everything that would fail every photo fails here, before the models load.
    args.group = parse_group_id(args.group)
    args.user = parse_user_id(args.user) if args.user is not None else None
    args.user_info = parse_user_info(args.user_info)
    args.action = parse_action_type(args.action, ("APPEND", "REPLACE"))
    args.quality_control = parse_quality_control(args.quality_control)
    args.liveness_control = parse_liveness_control(args.liveness_control)
    photos = collect_photos(args.photos)

    rows: List[Dict[str, object]] = []
    stopped: Optional[str] = None
    failed = 0
    with library_from_args(args, create=True) as lib:
        journal = Journal(lib.path)
        bar = Progress(len(photos), "enrolling")
        try:
            for photo in photos:
                rows.append(_enrol_one(lib, journal, photo, args))
                failed += rows[-1]["status"] == "failed"
                bar.advance(note=f"{failed} failed")
        except KeyboardInterrupt:
            stopped = "interrupted"
        except FATAL_ERRORS as exc:
            stopped = f"stopped by error {exc.error_code}"
            raise
        finally:
            bar.close(note=f"{len(rows) - failed} enrolled or already, {failed} failed"
                           + (f", {stopped}" if stopped else ""))
            _report(args, rows, len(photos), journal, stopped)
    if stopped:
        return EXIT_INTERRUPTED
    if not failed:
        return EXIT_OK
    return EXIT_PARTIAL if failed < len(rows) else EXIT_NO_RESULT


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("enroll", help="enrol photos (files or folders of <user_id>/ photos) into "
                                      "a face library",
                       description="Enrol each photo's largest face for the user named by its "
                                   "folder (or --user). Exit status: 0 every photo enrolled or "
                                   "already enrolled, 4 some failed, 1 none enrolled, 130 "
                                   "interrupted (what was enrolled stays).")
    add_library_options(p)
    p.add_argument("photos", nargs="+", metavar="PHOTO_OR_FOLDER")
    p.add_argument("--group", required=True, help="group_id to enrol into (created when missing)")
    p.add_argument("--user", default=None,
                   help="user_id for every photo (default: each photo's folder name)")
    p.add_argument("--user-info", default=None, help="user_info to set (<= 256 bytes)")
    p.add_argument("--action", default="APPEND",
                   help="APPEND (add the face to the user's faces, at most 20) or REPLACE "
                        "(replace all of the user's faces) (default: %(default)s)")
    add_control_options(p)
    p.add_argument("--skip-existing", action=argparse.BooleanOptionalAction, default=True,
                   help="skip photos the journal (<library>.enrolled.jsonl) shows are still "
                        "enrolled (default: on)")
    add_json_option(p)
    p.set_defaults(func=_cmd_enroll)
