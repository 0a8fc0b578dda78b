"""1:N search speed: faceedge's Gallery (exact fp32; int8 + exact re-rank) against numpy and
faiss-cpu IndexFlatIP at 1 and 2 threads, against the machine's own read bandwidth, in one run.

    python benchmarks/bench_search.py            # N = 10k, 100k, 1M x d = 128, 512 (~6-10 min)
    python benchmarks/bench_search.py --sizes 100000 --dims 128 --int8-source memory

faiss-cpu is a benchmark-only dependency (`pip install faiss-cpu`); without it its columns say so.

Timing: every contender of one (N, d, batch) cell runs once per round, round after round, and each
reports its median; ratios are of medians taken in the same rounds, so a neighbour's load on this
shared machine hits every contender alike (faiss at 2 threads runs in its own rounds after them:
see below).

Threads: one `Gallery.search` call runs on one thread, so numpy's BLAS is pinned to one thread
(OPENBLAS_NUM_THREADS etc. are set before numpy loads, unless already set) and faiss runs with
omp_set_num_threads(1) -- its best setting for a single query here -- and again with 2, in rounds
of its own after the others (its idle OpenMP thread spins on the other core after each call).

Read bandwidth: `_core.sum_f32` sums the same N x d float32 bytes the fp32 scan reads, once, front
to back, at the best SIMD level (four independent vector adds: no multiply, no top-k, nothing but
the reads). Its median time is the floor for an exact single-query scan on one core; the table
shows the fp32 search's time over it ("x read time").

int8 storage keeps only int8 codes; its exact re-rank reads each query's ~64 candidates back from a
vector source. `--int8-source store` (default) is what a FaceLibrary does: the vectors sit in a
library SQLite file (written here with Store.bulk_insert) and are read back with Store.vectors.
`--int8-source memory` reads them from the numpy array instead (the gallery's own cost only).

Each search returns the best match for each query (max_users=1 / k=1); every face is its own user
so the answers are comparable. Recall@1 compares the int8 mode's best face with the exact mode's,
on random queries (the hard case: the top scores are close) and on perturbed copies of stored
faces (the common case). Memory per face: the gallery's own count (memory_bytes: stores, ids,
indexes) and, measured in a fresh process per gallery, the growth of its anonymous resident
memory (RssAnon) while the gallery was built, over N.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import faceedge  # noqa: E402
from faceedge import _core  # noqa: E402
from faceedge.library.store import Store  # noqa: E402

try:
    import faiss  # noqa: E402
except ImportError:  # pragma: no cover - optional
    faiss = None


def unit_rows(rng, n, d, chunk=1 << 17):
    x = np.empty((n, d), np.float32)
    for i in range(0, n, chunk):
        block = rng.standard_normal((min(chunk, n - i), d), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        x[i:i + len(block)] = block
    return x


def rounds(fns, budget, min_rounds=9, max_rounds=41):
    """Median seconds per call of each fn, run round-robin; one warm-up call each is not counted."""
    first = 0.0
    for fn in fns.values():
        t = time.perf_counter()
        fn()
        first += time.perf_counter() - t
    n = int(min(max_rounds, max(min_rounds, budget / max(first, 1e-6))))
    times = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


# Run in a fresh process, so no memory freed earlier in this one is reused and hidden: the growth
# of anonymous resident memory (RssAnon) while one gallery of n x d vectors is built, over n.
_RSS_PROBE = """
import sys
import numpy as np
from faceedge import _core
n, d, storage = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss_anon():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("RssAnon:"))
x = np.random.default_rng(0).random((n, d), dtype=np.float32) - 0.5
ids = np.arange(n, dtype=np.int64)
groups = np.zeros(n, np.int32)
before = rss_anon()
g = _core.Gallery(d, storage, lambda f: x[f])
g.add(ids, ids, groups, x)
print((rss_anon() - before) / n)
"""


def rss_per_face(n, d, storage):
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(n), str(d), storage],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def numpy_search(x, q, k=1):
    s = q @ x.T
    top = np.argpartition(s, -k, axis=1)[:, -k:]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def short(n):
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def build(d, storage, snap, source):
    """A gallery of the snapshot, and the seconds its add took."""
    g = _core.Gallery(d, storage, source)
    t = time.perf_counter()
    g.add(snap.face_ids, snap.user_keys, snap.group_keys, snap.vectors)
    return g, time.perf_counter() - t


def one_thread_search(gallery, q):
    """The search with the scan on the calling thread only."""
    gallery.search_threads = 1
    try:
        return gallery.search(q)
    finally:
        gallery.search_threads = 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget per cell")
    ap.add_argument("--int8-source", choices=("store", "memory"), default="store")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-rss", dest="rss", action="store_false",
                    help="skip measuring resident memory per face (a fresh process per gallery)")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    readers = ThreadPoolExecutor(max_workers=2)
    default_threads = _core.Gallery(8).search_threads
    rows, setup = [], []
    tmp = tempfile.TemporaryDirectory(prefix="bench_search_")
    for d in args.dims:
        for n in args.sizes:
            x = unit_rows(rng, n, d)
            store = None
            if args.int8_source == "store":
                store = Store(Path(tmp.name) / f"lib_{n}_{d}.db", "bench", d)
                store.bulk_insert("g", [f"u{i}" for i in range(n)], x)
                del x
                snap = store.load()  # face ids 1..n in insertion order, vectors as inserted
                source = store.vectors
            else:
                ids = np.arange(n, dtype=np.int64)
                snap = type("Snap", (), dict(face_ids=ids, user_keys=ids,
                                             group_keys=np.zeros(n, np.int32), vectors=x))
                source = (lambda v: (lambda f: v[f]))(x)
            x = snap.vectors
            f32, add_f32 = build(d, "float32", snap, None)
            i8, add_i8 = build(d, "int8", snap, source)
            galleries = {"float32": f32, "int8": i8}
            index, add_faiss = None, None
            if faiss is not None:
                index = faiss.IndexFlatIP(d)
                t = time.perf_counter()
                index.add(x)
                add_faiss = time.perf_counter() - t

            rq = unit_rows(rng, 500, d)
            near = x[rng.integers(0, n, 500)] + 0.2 * unit_rows(rng, 500, d)
            near /= np.linalg.norm(near, axis=1, keepdims=True)
            recall = {}
            for name, q in (("random", rq), ("near", near)):
                a = [r["face_ids"][0] for r in f32.search(q)]
                b = [r["face_ids"][0] for r in i8.search(q)]
                recall[name] = float(np.mean(np.array(a) == np.array(b)))
            setup.append(dict(
                n=n, d=d, add_f32=add_f32, add_i8=add_i8, add_faiss=add_faiss,
                bytes_f32=f32.memory_bytes / n, bytes_i8=i8.memory_bytes / n,
                rss_f32=rss_per_face(n, d, "float32") if args.rss else None,
                rss_i8=rss_per_face(n, d, "int8") if args.rss else None,
                recall_random=recall["random"], recall_near=recall["near"]))

            for b in args.batches:
                q = unit_rows(rng, b, d)
                fns = {"float32": lambda: f32.search(q), "int8": lambda: i8.search(q),
                       "numpy": lambda: numpy_search(x, q)}
                if index is not None:
                    fns["faiss1"] = lambda: index.search(q, 1)
                if b == 1:
                    fns["read"] = lambda: _core.sum_f32(x)
                    # The same bytes read by two threads (the GIL is released in sum_f32): one
                    # core does not reach the memory's bandwidth, and faceedge's scan uses more.
                    flat = x.reshape(-1)
                    halves = [flat[: flat.size // 2], flat[flat.size // 2:]]
                    fns["read2"] = lambda: list(readers.map(_core.sum_f32, halves))
                    fns["float32_1t"] = lambda: one_thread_search(f32, q)
                if index is not None:
                    faiss.omp_set_num_threads(1)
                med = rounds(fns, args.seconds)
                if index is not None:
                    # faiss at 2 threads in its own rounds, after the others: its idle OpenMP
                    # thread spins on the second core for a while after each call, and would
                    # slow whatever ran next on this 2-core machine.
                    faiss.omp_set_num_threads(2)
                    med.update(rounds({"faiss2": lambda: index.search(q, 1)}, args.seconds / 3))
                    faiss.omp_set_num_threads(1)
                qps = {k: b / v for k, v in med.items() if not k.startswith("read")}
                row = dict(n=n, d=d, batch=b, **qps)
                if b == 1:
                    best_read = min(med["read"], med["read2"])
                    row["read_s"] = best_read
                    row["bandwidth"] = x.nbytes / best_read / 1e9
                    row["f32_over_read"] = med["float32"] / best_read
                    row["float32_1t"] = b / med["float32_1t"]
                rows.append(row)
                print(f"  N={n:>9,} d={d} batch={b:>2}: " + "  ".join(
                    f"{k} {v:,.0f} q/s" for k, v in qps.items())
                    + (f"  read {row['bandwidth']:.1f} GB/s" if b == 1 else ""),
                    file=sys.stderr, flush=True)
            del galleries, f32, i8, index, x, snap, source
            if store is not None:
                store.close()
            gc.collect()
    tmp.cleanup()

    elapsed = time.perf_counter() - started
    fv = faiss.__version__ if faiss else "not installed: its columns are n/a"
    print("\n### 1:N search, queries/s (median), one thread unless marked\n")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores; faceedge {faceedge.__version__} "
          f"simd_level `{_core.simd_level()}`; numpy {np.__version__} (BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}); faiss-cpu {fv}; int8 re-rank vectors "
          f"from {'the library SQLite file (Store.vectors)' if args.int8_source == 'store' else 'memory'}.\n")
    print("| N | d | batch | faceedge fp32 | faceedge fp32 1 thr | faceedge int8 | numpy "
          "| faiss 1 thr | faiss 2 thr | fp32 / faiss 1 | fp32 / faiss 2 | int8 / faiss 1 "
          "| int8 / fp32 | fp32 / numpy | read GB/s | fp32 x read time |")
    print("|" + "---|" * 3 + "---:|" * 13)
    for r in rows:
        f1, f2 = r.get("faiss1"), r.get("faiss2")
        bw = f"{r['bandwidth']:.1f}" if "bandwidth" in r else ""
        over = f"{r['f32_over_read']:.2f}x" if "f32_over_read" in r else ""
        print(f"| {short(r['n'])} | {r['d']} | {r['batch']} | {fmt(r['float32'])} "
              f"| {fmt(r.get('float32_1t'))} | {fmt(r['int8'])} "
              f"| {fmt(r['numpy'])} | {fmt(f1)} | {fmt(f2)} | {ratio(r['float32'], f1)} "
              f"| {ratio(r['float32'], f2)} | {ratio(r['int8'], f1)} | {ratio(r['int8'], r['float32'])} "
              f"| {ratio(r['float32'], r['numpy'])} | {bw} | {over} |")
    print("\n### Memory per face, enrolment time, int8 recall@1 against exact\n")
    print("| N | d | fp32 B/face (count / RSS) | int8 B/face (count / RSS) | int8 / fp32 (count / RSS) "
          "| faiss B/face (vectors only) | add N fp32 (s) | add N int8 (s) | add N faiss (s) "
          "| recall@1 random | recall@1 near |")
    print("|---|---|" + "---:|" * 9)
    for s in setup:
        print(f"| {short(s['n'])} | {s['d']} | {fmt(s['bytes_f32'])} / {fmt(s['rss_f32'])} "
              f"| {fmt(s['bytes_i8'])} / {fmt(s['rss_i8'])} | {s['bytes_i8'] / s['bytes_f32']:.2f}x / "
              f"{ratio(s['rss_i8'], s['rss_f32'])} "
              f"| {4 * s['d']} | {s['add_f32']:.3f} | {s['add_i8']:.3f} | {fmt(s['add_faiss'], 3)} "
              f"| {s['recall_random']:.4f} | {s['recall_near']:.4f} |")
    print(f"\nRead GB/s: `_core.sum_f32` over the same N x d float32 array, the faster of one "
          f"thread and two threads reading a half each. fp32 x read time: the fp32 single-query "
          f"search's median time over that read's (1.00x = the memory's speed). faceedge fp32 "
          f"scans a large gallery on up to {default_threads} threads (`Gallery.search_threads`, "
          f"automatic); its 1-thread column is the same gallery with search_threads = 1. "
          f"B/face: the gallery's memory_bytes (stores, ids, indexes) / the growth of RssAnon "
          f"while a fresh process built it; int8 keeps no fp32 copy. Total run {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
