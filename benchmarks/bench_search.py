"""1:N search speed: faceedge's Gallery (exact fp32, int8 + fp32 re-rank) against numpy and
faiss-cpu IndexFlatIP, on synthetic galleries of unit vectors, in one run.

    python benchmarks/bench_search.py            # N = 10k, 100k, 1M x d = 128, 512 (~3-5 min)
    python benchmarks/bench_search.py --sizes 10000 100000 --dims 128

faiss-cpu is a benchmark-only dependency (`pip install faiss-cpu`); without it its columns say so.

Threads: one `Gallery.search` call runs on one thread, so numpy's BLAS is pinned to one thread
(OPENBLAS_NUM_THREADS etc. are set before numpy loads, unless already set) and faiss is measured
with omp_set_num_threads(1) -- the like-for-like columns -- and again with 2 threads (faiss
parallelises batch queries and its BLAS path; a single query runs on one thread either way).

Each search returns the best match for each query (max_users=1 / k=1); every face is its own user
so the answers are comparable. Queries/s is the median over repeats. Recall@1 compares the int8
mode's best face with the exact mode's, on random queries (the hard case: the top scores are close)
and on perturbed copies of stored faces (the common case).
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from faceedge import _core  # noqa: E402

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


def timed(fn, budget, min_repeats=3, max_repeats=25):
    """Median seconds per call; the first call (page faults, lazy init) is not counted."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    repeats = int(min(max_repeats, max(min_repeats, budget / max(first, 1e-6))))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    rows, setup = [], []
    for d in args.dims:
        for n in args.sizes:
            x = unit_rows(rng, n, d)
            ids = np.arange(n, dtype=np.int64)
            groups = np.zeros(n, np.int32)
            galleries, add_s = {}, {}
            for storage in ("float32", "int8"):
                g = _core.Gallery(d, storage)
                t = time.perf_counter()
                g.add(ids, ids, groups, x)
                add_s[storage] = time.perf_counter() - t
                galleries[storage] = g
            index = None
            if faiss is not None:
                index = faiss.IndexFlatIP(d)
                t = time.perf_counter()
                index.add(x)
                add_s["faiss"] = time.perf_counter() - t

            # recall@1 of int8 vs exact
            rq = unit_rows(rng, 500, d)
            near = x[rng.integers(0, n, 500)] + 0.2 * unit_rows(rng, 500, d)
            near /= np.linalg.norm(near, axis=1, keepdims=True)
            recall = {}
            for name, q in (("random", rq), ("near", near)):
                a = [r["face_ids"][0] for r in galleries["float32"].search(q)]
                b = [r["face_ids"][0] for r in galleries["int8"].search(q)]
                recall[name] = float(np.mean(np.array(a) == np.array(b)))
            setup.append(dict(
                n=n, d=d, add_f32=add_s["float32"], add_i8=add_s["int8"], add_faiss=add_s.get("faiss"),
                bytes_f32=galleries["float32"].memory_bytes / n,
                bytes_i8=galleries["int8"].memory_bytes / n,
                bytes_faiss=(index.ntotal * d * 4 / n) if index is not None else None,
                recall_random=recall["random"], recall_near=recall["near"]))

            for b in args.batches:
                q = unit_rows(rng, b, d)
                qps = {}
                for storage, g in galleries.items():
                    qps[storage] = b / timed(lambda: g.search(q), args.seconds)
                qps["numpy"] = b / timed(lambda: numpy_search(x, q), args.seconds)
                if index is not None:
                    for threads in (1, 2):
                        faiss.omp_set_num_threads(threads)
                        qps[f"faiss{threads}"] = b / timed(lambda: index.search(q, 1), args.seconds)
                rows.append(dict(n=n, d=d, batch=b, **qps))
                print(f"  N={n:>9,} d={d} batch={b:>2}: " + "  ".join(
                    f"{k} {v:,.0f} q/s" for k, v in qps.items()), file=sys.stderr, flush=True)
            del galleries, index, x
            gc.collect()

    elapsed = time.perf_counter() - started
    print(f"\n### 1:N search, queries/s (median), single thread unless marked\n")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores; faceedge simd_level "
          f"`{_core.simd_level()}`; numpy {np.__version__} (BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}); "
          f"faiss-cpu {faiss.__version__ if faiss else 'not installed: its columns are n/a'}.\n")
    print("| N | d | batch | faceedge fp32 | faceedge int8+rerank | numpy | faiss 1 thr | faiss 2 thr "
          "| int8 / fp32 | fp32 / numpy | fp32 / faiss 1 | fp32 / faiss 2 | int8 / numpy | int8 / faiss 1 "
          "| int8 / faiss 2 |")
    print("|" + "---|" * 16)
    for r in rows:
        f1, f2 = r.get("faiss1"), r.get("faiss2")
        print(f"| {r['n']:,} | {r['d']} | {r['batch']} | {fmt(r['float32'])} | {fmt(r['int8'])} "
              f"| {fmt(r['numpy'])} | {fmt(f1)} | {fmt(f2)} | {ratio(r['int8'], r['float32'])} "
              f"| {ratio(r['float32'], r['numpy'])} | {ratio(r['float32'], f1)} | {ratio(r['float32'], f2)} "
              f"| {ratio(r['int8'], r['numpy'])} | {ratio(r['int8'], f1)} | {ratio(r['int8'], f2)} |")
    print("\n### Memory, enrolment time, int8 recall@1 vs exact\n")
    print("| N | d | RAM/face fp32 | RAM/face int8 | RAM/face faiss (vectors only) | add N fp32 (s) "
          "| add N int8 (s) | add N faiss (s) | recall@1 random queries | recall@1 near queries |")
    print("|" + "---|" * 10)
    for s in setup:
        print(f"| {s['n']:,} | {s['d']} | {fmt(s['bytes_f32'])} B | {fmt(s['bytes_i8'])} B "
              f"| {fmt(s['bytes_faiss'])} B | {s['add_f32']:.3f} | {s['add_i8']:.3f} "
              f"| {fmt(s['add_faiss'], 3)} | {s['recall_random']:.4f} | {s['recall_near']:.4f} |")
    print(f"\nfaceedge RAM/face counts the allocated vector store(s) (int8 mode keeps the fp32 copy "
          f"for the re-rank), per-face ids and keys, and the id and user indexes; faiss IndexFlatIP "
          f"holds only the vectors (no ids, users or groups). Total run {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
