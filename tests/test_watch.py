"""``faceedge watch``: the Hamilton clip against a library of Miranda and Lacamoire, as JSON
lines, as a table, drawn to a video, with the gate command run for the recognised live user;
stopped by SIGTERM."""
import json
import os
import signal
import subprocess
import sys

import cv2
import numpy as np
import pytest

from faceedge import FaceLibrary
from faceedge.cli import main


@pytest.fixture(scope="module")
def cast(engine, testdata_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("watch") / "cast.db"
    with FaceLibrary(path, engine) as lib:
        lib.group_add("cast")
        lib.add_user(str(testdata_dir / "faces" / "lin_manuel_miranda.png"), "cast", "miranda",
                     user_info="Lin-Manuel Miranda")
        lib.add_user(str(testdata_dir / "faces" / "alex_lacamoire_1.jpg"), "cast", "lacamoire")
    return path


@pytest.fixture(scope="module")
def clip(testdata_dir):
    return str(testdata_dir / "video" / "short_hamilton_clip.mp4")


@pytest.fixture(scope="module")
def json_run(cast, clip, models_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("watch_out")
    opened = out / "opened.txt"
    cmd = f'echo "$FACEEDGE_USER_ID|$FACEEDGE_SCORE|$FACEEDGE_LIVE_SCORE|$FACEEDGE_USER_INFO" >> {opened}'
    argv = ["watch", clip, "--library", str(cast), "--group", "cast", "--models", str(models_dir),
            "--json", "--draw", str(out / "drawn.mp4"), "--open-cmd", cmd]
    return argv, out, opened


def test_json_lines(json_run, capsys):
    argv, out, opened = json_run
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    events = [json.loads(line) for line in lines]
    kinds = {e["event"] for e in events}
    assert {"track_started", "recognised", "live", "access", "track_ended"} <= kinds
    access = [e for e in events if e["event"] == "access"]
    assert [e["user_id"] for e in access] == ["miranda"]
    assert access[0]["score"] >= 80 and access[0]["live_score"] >= 0.5
    started = {e["track_id"] for e in events if e["event"] == "track_started"}
    ended = {e["track_id"] for e in events if e["event"] == "track_ended"}
    assert started == ended  # every track ends, the last ones when the file does
    # The gate command ran once, for Miranda, with her figures in its environment.
    (line,) = opened.read_text().strip().splitlines()
    user, score, live, info = line.split("|")
    assert user == "miranda" and float(score) >= 80 and float(live) >= 0.5
    assert info == "Lin-Manuel Miranda"
    # The annotated video: every frame, the source's size, boxes drawn where faces are.
    cap = cv2.VideoCapture(str(out / "drawn.mp4"))
    src = cv2.VideoCapture(argv[1])
    drawn = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        drawn.append(frame)
    assert len(drawn) == 275 and drawn[0].shape == (360, 640, 3)
    for _ in range(121):
        ok, original = src.read()
    box = next(e["box"] for e in events if e["event"] == "access")
    diff = np.abs(drawn[120].astype(int) - original.astype(int)).sum(axis=2)
    assert (diff > 60).sum() > 500  # the box and label differ from the source frame
    # Green (a recognised live user) appears on the close-up frames.
    frame = drawn[120].astype(int)
    green = (frame[:, :, 1] > 150) & (frame[:, :, 0] < 110) & (frame[:, :, 2] < 110)
    assert green.sum() > 100


def test_table_output(cast, clip, models_dir, capsys):
    argv = ["watch", clip, "--library", str(cast), "--group", "cast", "--models", str(models_dir),
            "--max-frames", "120"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "120 frames" in text and "miranda" in text and "recognised" in text
    assert text.count("track  box") >= 2  # tables at the events and the summary at the end


def test_errors_have_exit_codes(cast, clip, models_dir, tmp_path, capsys):
    assert main(["watch", clip, "--library", str(tmp_path / "none.db"), "--group", "cast"]) == 2
    err = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert err["error_code"] == 229014
    assert main(["watch", clip, "--library", str(cast), "--group", "nobody",
                 "--models", str(models_dir)]) == 1
    err = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert err["error_code"] == 223100
    assert main(["watch", str(tmp_path / "missing.mp4"), "--library", str(cast), "--group",
                 "cast", "--models", str(models_dir), "--json"]) == 2
    err = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert err["error_code"] == 216201


def test_sigterm_stops_cleanly(cast, clip, models_dir, tmp_path):
    video = tmp_path / "partial.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "faceedge", "watch", clip, "--library", str(cast), "--group",
         "cast", "--models", str(models_dir), "--json", "--draw", str(video)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # the first event: the stream is running
    assert json.loads(first)["event"] == "track_started"
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    events = [json.loads(first)] + [json.loads(line) for line in rest.splitlines()]
    assert events[-1]["event"] == "track_ended"
    stopped = [e for e in events if e.get("reason") == "stopped"]
    assert stopped  # the tracks alive at the signal were ended, not dropped
    cap = cv2.VideoCapture(str(video))
    count = 0
    while cap.read()[0]:
        count += 1
    assert 0 < count < 275  # the video was finalised and is readable
