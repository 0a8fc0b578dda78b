"""Deterministic input generation: input ``index`` of a run with ``seed`` is always the same
bytes, so a finding is replayed by its index alone (``python -m fuzz.run NAME --replay I``)."""
from __future__ import annotations

import random
import struct
from typing import List, Sequence

__all__ = ["rng_for", "mutate_bytes", "INTERESTING_INTS"]

# Values that break length fields, counts and sizes: zero, one, signed/unsigned edges.
INTERESTING_INTS = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def rng_for(seed: int, index: int) -> random.Random:
    """The generator of input ``index``: independent of every other input."""
    return random.Random((seed << 32) ^ (index * 0x9E3779B1) ^ 0x5EED)


def mutate_bytes(rng: random.Random, data: bytes, corpus: Sequence[bytes] = ()) -> bytes:
    """1..8 stacked mutations: bit flips, byte sets, interesting integers written over a field,
    cuts, duplicated or deleted runs, splices from another corpus entry."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not out:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            continue
        pos = rng.randrange(len(out))
        op = rng.randrange(9)
        if op == 0:
            out[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[pos] = rng.randrange(256)
        elif op in (2, 3):
            value = rng.choice(INTERESTING_INTS)
            fmt = rng.choice(["<H", ">H", "<I", ">I"])
            packed = struct.pack(fmt, value & (0xFFFF if "H" in fmt else 0xFFFFFFFF))
            out[pos:pos + len(packed)] = packed
        elif op == 4:
            del out[rng.randrange(len(out) + 1):]                    # truncate
        elif op == 5:
            end = min(len(out), pos + rng.randint(1, 64))
            out[pos:pos] = out[pos:end] * rng.randint(1, 16)          # duplicate a run
        elif op == 6:
            del out[pos:pos + rng.randint(1, 256)]                    # delete a run
        elif op == 7 and corpus:
            other = rng.choice(corpus)
            start = rng.randrange(len(other)) if other else 0
            out[pos:] = other[start:start + rng.randint(1, 4096)]    # splice
        else:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(out)


def pick_subset(rng: random.Random, items: Sequence[str]) -> List[str]:
    return [item for item in items if rng.random() < 0.5]
