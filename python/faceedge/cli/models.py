"""``faceedge models list | verify | prepare``: where the model files are and whether they are sound."""
from __future__ import annotations

import argparse
import sys

from .common import add_models_option, fail, print_json, table


def _cmd_list(args: argparse.Namespace) -> int:
    from ..models import list_models

    rows = list_models(models=args.models)
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "role", "status", "licence", "path")))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..models import verify_models

    rows = verify_models(ids=args.ids or None, models=args.models)
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "role", "status", "path")))
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


def _cmd_prepare(args: argparse.Namespace) -> int:
    from ..models import cache_dir, find_model, load_manifest
    from ..prepare import prepare_model

    manifest = load_manifest()
    if args.ids:
        entries = [manifest.get(i) for i in args.ids]
    else:  # every model a pack uses that the manifest marks for preparation
        ids = {e.id for roles in manifest.packs.values() for i in roles.values()
               for e in manifest.model_set(i).members}
        entries = [manifest.get(i) for i in sorted(ids) if manifest.get(i).prepare]
    rows = []
    for entry in entries:
        source = find_model(entry.id, args.models, manifest)
        target = prepare_model(source, cache_dir() / "prepared", source_sha256=entry.sha256) \
            if entry.prepare else source
        rows.append({"id": entry.id, "source": str(source), "prepared": str(target)})
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ("id", "source", "prepared")))
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    models = sub.add_parser("models", help="list, verify or prepare model files")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True
    p = msub.add_parser("list", help="every manifest model and where it is")
    add_models_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list)
    p = msub.add_parser("verify", help="check size and sha256 of model files")
    add_models_option(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="model ids (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_verify)
    p = msub.add_parser("prepare", help="rewrite int8bq models once into their fast form (cached)")
    add_models_option(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="model ids (default: the packs' models)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_prepare)
