"""Damaged photos do not make libjpeg / libpng talk on the process's stderr: the error code (or the
picture the decoder recovered) is the whole answer, and everything else written to stderr, from
any thread, still gets there. Run in subprocesses, whose stderr is the thing under test."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from faceedge.quiet_stderr import is_decoder_chatter

# Builds the damaged files from two test photos (argv[1]: the faces folder) and decodes each
# through faceedge, full size and reduced; prints the outcomes as JSON on stdout.
DAMAGED = textwrap.dedent("""
    import json, struct, sys
    from pathlib import Path
    from faceedge import load_image
    from faceedge.errors import FaceEdgeError
    from faceedge.photo import open_photo

    faces = Path(sys.argv[1])
    jpeg = (faces / "obama_1.jpg").read_bytes()
    png = (faces / "alex_lacamoire_2.png").read_bytes()

    def flip_in_chunk(data, kind):
        i = 8
        while i < len(data):
            (n,) = struct.unpack(">I", data[i:i + 4])
            if data[i + 4:i + 8] == kind:
                out = bytearray(data)
                out[i + 8 + n // 2] ^= 0xFF  # the chunk's CRC no longer matches
                return bytes(out)
            i += 12 + n
        raise SystemExit(f"no {kind} chunk")

    damaged = {
        "jpeg_cut": jpeg[:len(jpeg) // 2],                       # no end-of-image marker
        "jpeg_cut_closed": jpeg[:len(jpeg) // 2] + b"\\xff\\xd9",  # libjpeg: premature end
        "png_bad_idat_crc": flip_in_chunk(png, b"IDAT"),          # libpng error
        "png_bad_iccp_crc": flip_in_chunk(png, b"iCCP"),          # libpng warnings
    }
    out = {}
    for name, data in damaged.items():
        for how, decode in (("full", load_image), ("reduced", lambda d: open_photo(d).at(
                2 if d[:2] == b"\\xff\\xd8" else 1).image)):
            try:
                out[f"{name}/{how}"] = list(decode(data).shape)
            except FaceEdgeError as exc:
                out[f"{name}/{how}"] = exc.error_code
            sys.stderr.write(f"own line after {name}/{how}\\n")
    print(json.dumps(out))
""")

EXPECTED = {
    "jpeg_cut/full": 216201, "jpeg_cut/reduced": 216201,
    "jpeg_cut_closed/full": [1137, 910, 3], "jpeg_cut_closed/reduced": [569, 455, 3],
    "png_bad_idat_crc/full": 216201, "png_bad_idat_crc/reduced": 216201,
    "png_bad_iccp_crc/full": [394, 424, 3], "png_bad_iccp_crc/reduced": [394, 424, 3],
}

# Four threads decode damaged files while the main thread writes to stderr through Python and
# straight to fd 2: every line must arrive, whole, and no decoder line.
THREADS = textwrap.dedent("""
    import os, sys, threading
    from pathlib import Path
    from faceedge import load_image

    jpeg = (Path(sys.argv[1]) / "obama_1.jpg").read_bytes()
    closed = jpeg[:len(jpeg) // 2] + b"\\xff\\xd9"
    done = threading.Event()

    def work():
        while not done.is_set():
            load_image(closed)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(200):
        if i % 2:
            sys.stderr.write(f"python line {i}\\n")
            sys.stderr.flush()
        else:
            os.write(2, f"fd line {i}\\n".encode())
    done.set()
    for t in threads:
        t.join()
    print("ok")
""")


def run(script, *args):
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                          timeout=300, env={**os.environ, "OPENCV_LOG_LEVEL": "INFO"})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode(), proc.stderr.decode()


def test_damaged_files_give_their_codes_and_a_quiet_stderr(testdata_dir):
    out, err = run(DAMAGED, testdata_dir / "faces")
    assert json.loads(out.strip().splitlines()[-1]) == EXPECTED
    lines = err.splitlines()
    assert lines == [f"own line after {key}" for key in EXPECTED], err


def test_the_chatter_is_real_without_faceedge(testdata_dir):
    """The same damaged data through cv2 directly does print: what the other test checks is
    faceedge's doing, not a quiet OpenCV build."""
    script = textwrap.dedent("""
        import sys, cv2, numpy as np
        from pathlib import Path
        jpeg = (Path(sys.argv[1]) / "obama_1.jpg").read_bytes()
        cv2.imdecode(np.frombuffer(jpeg[:len(jpeg) // 2] + b"\\xff\\xd9", np.uint8), 1)
    """)
    _, err = run(script, testdata_dir / "faces")
    assert any(is_decoder_chatter(line.encode()) for line in err.splitlines()), err


def test_other_threads_stderr_still_arrives_whole(testdata_dir):
    out, err = run(THREADS, testdata_dir / "faces")
    assert out.strip() == "ok"
    want = [f"python line {i}" if i % 2 else f"fd line {i}" for i in range(200)]
    assert err.splitlines() == want


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_process_forked_during_a_decode_gets_its_stderr_back():
    script = textwrap.dedent("""
        import os
        from faceedge.quiet_stderr import quiet_stderr
        with quiet_stderr():
            pid = os.fork()
            if pid == 0:
                os.write(2, b"child line\\n")
                os._exit(0)
            os.waitpid(pid, 0)
            os.write(2, b"Corrupt JPEG data: premature end of data segment\\n")
            os.write(2, b"parent line\\n\\nlast words without a newline")
    """)
    _, err = run(script)
    assert err == "child line\nparent line\n\nlast words without a newline"


def test_cli_on_a_damaged_png_prints_only_its_error(tmp_path, testdata_dir, models_dir):
    data = bytearray((testdata_dir / "faces" / "alex_lacamoire_2.png").read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 100] ^= 0xFF
    bad = tmp_path / "damaged.png"
    bad.write_bytes(bytes(data))
    proc = subprocess.run([sys.executable, "-m", "faceedge", "detect", str(bad), "--models",
                           str(models_dir), "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines()
             if not line.startswith("faceedge: preparing")]  # a first run's one-time note
    assert len(lines) == 1 and json.loads(lines[0])["error_code"] == 216201, proc.stderr


@pytest.mark.parametrize("line,chatter", [
    (b"Corrupt JPEG data: premature end of data segment", True),
    (b"Premature end of JPEG file", True),
    (b"libpng warning: iCCP: known incorrect sRGB profile", True),
    (b"libpng error: IDAT: CRC error", True),
    (b"[ WARN:0@0.123] global loadsave.cpp:1234 imdecode_ imdecode(): can't read", True),
    (b"faceedge: preparing model.onnx for ONNX Runtime (once)", False),
    (b"Traceback (most recent call last):", False),
    (b"INFO:     127.0.0.1:5000 - \"POST /rest/2.0/face/v3/detect HTTP/1.1\" 200 OK", False),
])
def test_only_decoder_lines_count_as_chatter(line, chatter):
    assert is_decoder_chatter(line) is chatter
