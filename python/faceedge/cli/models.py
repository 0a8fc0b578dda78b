"""``faceedge models list | verify | prepare | import | pull``: which models are where, whether they
are sound and prepared, and getting them onto the device (offline from a folder, or online)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

from .common import add_json_option, add_models_option, fail, print_json, table


def _needed_for(entry, manifest) -> str:
    """The features that use a model, in a user's words."""
    from ..heads import ATTRIBUTE_MODELS

    if entry.role == "liveness":
        return "liveness_control, face_field liveness, faceverify"
    if entry.role == "attribute":
        fields = [f for f, (model_id, _) in ATTRIBUTE_MODELS.items() if model_id == entry.id]
        return "face_field " + ",".join(fields) if fields else "nothing (not used by the engine)"
    if entry.role in ("detector", "embedder"):
        packs = [name for name, roles in manifest.packs.items() if roles.get(entry.role) == entry.id]
        if not packs:
            return f"only when chosen ({entry.role}={entry.id})"
        what = ("detect, match, search, faceverify" if entry.role == "detector"
                else "match, search, face library, faceverify")
        return f"{what} (pack {', '.join(packs)})"
    return "nothing (not used by the engine)"


def _unavailable(entry, manifest, rows: Dict[str, Dict[str, Any]]) -> str:
    """What stops working without this model."""
    return "" if rows[entry.id]["status"] != "missing" else _needed_for(entry, manifest)


def _cmd_list(args: argparse.Namespace) -> int:
    from ..models import cache_dir, list_models, load_manifest
    from ..prepare import prepared_file

    manifest = load_manifest()
    rows = list_models(models=args.models)
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        entry = manifest.get(row["id"])
        if not entry.prepare:
            row["prepared"] = "-"
        elif row["status"] == "missing":
            row["prepared"] = "no"
        else:
            done = prepared_file(entry.sha256, cache_dir() / "prepared")
            row["prepared"] = "yes" if done else "no (on first use)"
        row["needed_for"] = _needed_for(entry, manifest)
        row["unavailable_without_it"] = _unavailable(entry, manifest, by_id) or None
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "role", "status", "found_in", "prepared", "licence",
                           "unavailable_without_it")))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..models import verify_models

    rows = verify_models(ids=args.ids or None, models=args.models)
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "role", "status", "found_in", "path")))
        for row in rows:
            if row["status"] == "corrupt":
                print(f"{row['id']}: sha256 {row.get('sha256')} expected {row.get('expected_sha256')}",
                      file=sys.stderr)
    bad = [r["id"] for r in rows if r["status"] != "ok"]
    if bad:
        fail(229002 if any(r["status"] == "corrupt" for r in rows) else 229001,
             f"models not verified: {', '.join(bad)}")
        return 3
    return 0


def _prepare_targets(args: argparse.Namespace, manifest) -> List[Any]:
    """(entry, source path) for each SRC|ID argument, or for every pack model marked prepare."""
    from ..errors import error
    from ..models import find_model, sha256_file

    if not args.sources:
        ids = {e.id for roles in manifest.packs.values() for i in roles.values()
               for e in manifest.model_set(i).members}
        entries = [manifest.get(i) for i in sorted(ids) if manifest.get(i).prepare]
        found = []
        for entry in entries:  # a pack's model that is nowhere is not an error here
            try:
                found.append((entry, find_model(entry.id, args.models, manifest)))
            except Exception as exc:  # noqa: BLE001  (reported, the others still prepared)
                print(f"faceedge: {entry.id}: {exc}", file=sys.stderr)
        return found
    targets = []
    for source in args.sources:
        if os.path.sep in source or source.endswith(".onnx") or Path(source).is_file():
            path = Path(source)
            if not path.is_file():
                raise error(229001, f"no such model file: {path}")
            digest = sha256_file(path)
            entry = manifest.by_sha256(digest)
            if entry is None:
                raise error(229003, f"{path} (sha256 {digest}) is no model of the manifest: "
                                    "faceedge prepares only files it knows")
            targets.append((entry, path))
        else:
            targets.append((manifest.get(source), find_model(source, args.models, manifest)))
    return targets


def _cmd_prepare(args: argparse.Namespace) -> int:
    from ..model_store import prepare_entry
    from ..models import load_manifest

    manifest = load_manifest()
    rows = []
    for entry, source in _prepare_targets(args, manifest):
        prepared = prepare_entry(entry, source)
        rows.append({"id": entry.id, "source": str(source),
                     "prepared": str(prepared) if prepared else "(runs as it is)"})
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "source", "prepared")))
    return 0


def _report(rows: List[Dict[str, Any]], columns, json_out: bool, failed: List[Dict[str, Any]],
            what: str) -> int:
    if json_out:
        print_json(rows)
    else:
        print(table(rows, columns))
    for row in failed:
        name = row.get("file") or row.get("id")
        print(f"{name}: {row.get('error_msg')}", file=sys.stderr)
    if failed:
        fail(failed[0]["error_code"], f"{what}: {len(failed)} of {len(rows)} not done: "
                                      + ", ".join(str(r.get("file") or r.get("id")) for r in failed))
        return 3
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from ..model_store import import_dir

    rows = import_dir(args.folder, prepare=not args.no_prepare)
    failed = [r for r in rows if r["status"] in ("refused", "unprepared")]
    return _report(rows, ("file", "id", "status", "sha256"), args.json, failed, "models import")


def _cmd_pull(args: argparse.Namespace) -> int:
    from ..errors import error
    from ..model_store import TIMEOUT, pull

    if args.timeout is not None and not args.timeout > 0:
        raise error(229014, f"--timeout must be > 0 seconds, got {args.timeout}")
    names = args.names or ["default"]
    rows = pull(names, mirror=args.mirror, timeout=args.timeout or TIMEOUT,
                prepare=not args.no_prepare)
    # A pack's model that no upstream publishes as ONNX is listed with its hint; it fails the
    # command only when it was asked for by id.
    failed = [r for r in rows if r["status"] == "failed"
              or (r["status"] == "no_source" and r["id"] in names)]
    for row in rows:
        if row["status"] == "no_source" and row not in failed:
            print(f"{row['id']}: {row['error_msg']}", file=sys.stderr)
    return _report(rows, ("id", "status", "via", "found_in", "path"), args.json, failed,
                   "models pull")


def register(sub: "argparse._SubParsersAction") -> None:
    models = sub.add_parser("models", help="list, verify, prepare, import or pull model files")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True
    p = msub.add_parser("list", help="every manifest model: role, licence, where it is found, "
                                     "prepared or not, what is unavailable without it")
    add_models_option(p)
    add_json_option(p)
    p.set_defaults(func=_cmd_list)
    p = msub.add_parser("verify", help="check size and sha256 of model files")
    add_models_option(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="model ids (default: all)")
    add_json_option(p)
    p.set_defaults(func=_cmd_verify)
    p = msub.add_parser("prepare", help="rewrite int8bq models once into their fast form (cached)")
    add_models_option(p)
    p.add_argument("sources", nargs="*", metavar="SRC|ID",
                   help="a model file (e.g. an upstream download) or a model id "
                        "(default: the packs' models marked prepare)")
    add_json_option(p)
    p.set_defaults(func=_cmd_prepare)
    p = msub.add_parser("import", help="install the known model files of a folder (USB stick, "
                                       "share) into the user cache, sha256-checked")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--no-prepare", action="store_true", help="install only; prepare on first use")
    add_json_option(p)
    p.set_defaults(func=_cmd_import)
    p = msub.add_parser("pull", help="download a pack's (or models') missing files from upstream")
    p.add_argument("names", nargs="*", metavar="PACK|ID", help="default: the default pack")
    p.add_argument("--mirror", metavar="URL",
                   help="base URL laid out like the models folder, tried first "
                        "(default: $FACEEDGE_MODELS_MIRROR)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds to connect / longest read stall (default: 10)")
    p.add_argument("--no-prepare", action="store_true", help="download only; prepare on first use")
    add_json_option(p)
    p.set_defaults(func=_cmd_pull)
