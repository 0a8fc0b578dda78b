"""Overlapping the stages of consecutive frames: detection of frame i+1 runs while frame i is
embedded.

Detection and embedding are two ONNX Runtime sessions that release the GIL, and on a small CPU
neither keeps every core busy for the whole of its run (each layer is a short parallel section,
and the cores wait at its end). Run side by side, one on a helper thread, they fill each other's
gaps: a stream of frames then costs about the longer of the two stages per frame instead of
their sum. Results come back in frame order, each one exactly what the sequential call gives.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Deque, Iterable, Iterator, TypeVar

Frame = TypeVar("Frame")
Detected = TypeVar("Detected")
Result = TypeVar("Result")


def overlapped(frames: Iterable[Frame], first: Callable[[Frame], Detected],
               second: Callable[[Detected], Result], ahead: int = 1) -> Iterator[Result]:
    """Yields ``second(first(frame))`` for each frame, in order, with ``first`` of the next
    ``ahead`` frames running on a helper thread while ``second`` runs on the caller's.

    ``frames`` is read on the caller's thread, one frame ahead of what was yielded at most
    ``ahead + 1`` frames. An exception of either stage is raised at its frame's turn; closing
    the generator early waits for the detection in flight and reads no further frame."""
    if ahead < 1:
        raise ValueError(f"ahead must be >= 1, got {ahead}")
    source = iter(frames)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="faceedge-detect") as helper:
        pending: Deque[Future] = deque()

        def start_next() -> None:
            for frame in source:
                pending.append(helper.submit(first, frame))
                return

        for _ in range(ahead):
            start_next()
        while pending:
            done = pending.popleft()
            start_next()  # the next detection starts before this frame's second stage
            yield second(done.result())
