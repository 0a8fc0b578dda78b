"""VideoSource: files in order, live sources without falling behind, reconnects with backoff
when a stream fails, a clean stop on SIGTERM / SIGINT."""
import os
import signal
import threading
import time

import cv2
import numpy as np
import pytest

from faceedge.errors import FaceEdgeError
from faceedge.stream import VideoSource
from faceedge.stream.sources import is_live_source, stop_on_signals


@pytest.fixture(scope="module")
def clip(testdata_dir):
    return testdata_dir / "video" / "short_hamilton_clip.mp4"


@pytest.fixture
def truncated(tmp_path):
    """An MJPG AVI of 40 numbered frames cut to half its bytes: it opens, gives the first
    frames, then a read fails, as a recording cut off by a crash or a dropped connection."""
    path = tmp_path / "cut.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(40):
        frame = np.full((48, 64, 3), i * 6, np.uint8)
        writer.write(frame)
    writer.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_kinds_of_sources():
    assert is_live_source(0) and is_live_source("1") and is_live_source("rtsp://cam/stream")
    assert not is_live_source("clip.mp4") and not is_live_source("/data/0/clip.mp4")


def test_a_file_gives_every_frame_in_order(clip):
    source = VideoSource(clip)
    items = list(source)
    assert len(items) == 275 and source.read == 275 and source.dropped == 0
    assert all(f.shape == (360, 640, 3) and f.dtype == np.uint8 for f, _ in items)
    stamps = [t for _, t in items]
    assert stamps == sorted(stamps) and stamps[-1] == pytest.approx(274 / 29.97, abs=0.05)
    assert source.reconnects == 0


def test_a_live_source_drops_stale_frames_instead_of_falling_behind(clip):
    # The file read as if it were a camera by a consumer slower than the reader: only the
    # newest frame waits, the rest are dropped and counted, nothing queues up.
    source = VideoSource(clip, live=True, buffer=1, reconnect=False)
    got = 0
    for _ in source:
        got += 1
        time.sleep(0.02)  # slow processing (not a timed assert: the counts are checked)
    assert source.read == 275
    assert source.dropped > 0 and got + source.dropped == source.read


def test_a_failing_stream_is_reopened_with_backoff_then_given_up(truncated):
    once = list(VideoSource(truncated))
    assert 0 < len(once) < 40  # the truncated file gives some frames, then fails
    source = VideoSource(truncated, reconnect=True, max_reconnects=2, backoff=0.01,
                         max_backoff=0.02)
    frames = list(source)
    # Each reopening reads the readable part again; a few frames do not make the stream
    # healthy (healthy_after=50), so the third failure in a row gives up.
    assert source.reconnects == 2
    assert len(frames) == 3 * len(once)
    assert "gave up after 2 reconnects" in source.last_error
    healthy = VideoSource(truncated, reconnect=True, max_reconnects=1, backoff=0.01,
                          max_backoff=0.01, healthy_after=len(once))
    for _ in healthy:
        if healthy.read >= 5 * len(once):
            healthy.stop()  # a source that keeps delivering is reopened without limit
    assert healthy.reconnects >= 4


def test_an_unreachable_url_raises_after_its_reconnects():
    source = VideoSource("rtsp://127.0.0.1:9/nothing", max_reconnects=1, backoff=0.01,
                         max_backoff=0.01)
    with pytest.raises(FaceEdgeError) as exc:
        list(source)
    assert exc.value.error_code == 216201
    assert source.reconnects == 1 and "gave up" in exc.value.error_msg


def test_a_missing_file_raises_at_once(tmp_path):
    source = VideoSource(tmp_path / "missing.mp4")
    with pytest.raises(FaceEdgeError) as exc:
        list(source)
    assert exc.value.error_code == 216201 and source.reconnects == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_source_cleanly(clip, signum):
    source = VideoSource(clip)
    got = 0
    with stop_on_signals(source) as received:
        for _ in source:
            got += 1
            if got == 10:
                os.kill(os.getpid(), signum)
    assert received == [signum]
    assert 10 <= got < 275
    assert source.stopped and source._thread is None  # the reader thread was joined
    assert signal.getsignal(signum) is not None  # the old handler is back


def test_stop_from_another_thread(clip):
    source = VideoSource(clip, live=True)
    timer = threading.Timer(0.2, source.stop)
    timer.start()
    count = sum(1 for _ in source)
    timer.join()
    assert count < 275 or source.read == 275
    assert source.stopped
