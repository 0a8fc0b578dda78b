"""``faceedge serve``'s HTTP layer on a real uvicorn server over loopback: the token endpoint, the
access-token check, body limits, bodies the SDK never sends, unknown paths, and that every face
reply is HTTP 200 with Baidu's JSON envelope."""
import base64
import json
import threading
import time

import pytest
import requests

from faceedge.compat import BaiduFaceService
from faceedge.server import ServerThread, create_app

from baidu_replies import full_message
from serve_process import wait_until_serving

API_KEY, SECRET_KEY = "k-server-test", "s-server-test"
LIMIT = 1024 * 1024  # this module's body limit


@pytest.fixture(scope="module")
def service(engine, tmp_path_factory):
    svc = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("srv") / "lib.db")
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def server(service):
    app = create_app(service, {API_KEY: SECRET_KEY, "second-key": "second-secret"},
                     max_body_bytes=LIMIT)
    with ServerThread(app) as running:
        yield running


@pytest.fixture(scope="module")
def token(server):
    return requests.get(server.url + "/oauth/2.0/token", params={
        "grant_type": "client_credentials", "client_id": API_KEY,
        "client_secret": SECRET_KEY}, timeout=30).json()["access_token"]


@pytest.fixture(scope="module")
def obama(testdata_dir):
    return base64.b64encode((testdata_dir / "faces/obama_1.jpg").read_bytes()).decode()


def post(server, path, token=None, timeout=60, **kwargs):
    params = {"access_token": token} if token is not None else {}
    reply = requests.post(server.url + path, params=params, timeout=timeout, **kwargs)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    envelope = {"error_code", "error_msg", "log_id", "timestamp", "cached", "result"}
    assert set(body) - {"error_detail"} == envelope
    assert "error_detail" not in body or body["error_code"] != 0
    return body


def face(server, endpoint, token, **kwargs):
    return post(server, "/rest/2.0/face/v3/" + endpoint, token, **kwargs)


# ---- /oauth/2.0/token ------------------------------------------------------------------------------

def test_token_endpoint_gives_what_the_sdk_needs(server):
    for method in ("GET", "POST"):
        reply = requests.request(method, server.url + "/oauth/2.0/token", params={
            "grant_type": "client_credentials", "client_id": "second-key",
            "client_secret": "second-secret"}, timeout=30)
        body = reply.json()
        assert reply.status_code == 200 and body["expires_in"] == 30 * 24 * 3600
        assert "brain_all_scope" in body["scope"].split() and body["access_token"]
    form = requests.post(server.url + "/oauth/2.0/token", data={
        "grant_type": "client_credentials", "client_id": API_KEY, "client_secret": SECRET_KEY},
        timeout=30)
    assert form.status_code == 200 and form.json()["access_token"]


@pytest.mark.parametrize("params, status, error, description", [
    ({"client_id": "nobody", "client_secret": SECRET_KEY}, 401, "invalid_client",
     "unknown client id"),
    ({"client_id": API_KEY, "client_secret": "wrong"}, 401, "invalid_client",
     "Client authentication failed"),
    ({"client_id": API_KEY}, 401, "invalid_client", "Client authentication failed"),
])
def test_token_endpoint_refuses_bad_keys(server, params, status, error, description):
    reply = requests.get(server.url + "/oauth/2.0/token",
                         params={"grant_type": "client_credentials", **params}, timeout=30)
    assert reply.status_code == status
    assert reply.json() == {"error": error, "error_description": description}


def test_token_endpoint_refuses_other_grants(server):
    reply = requests.get(server.url + "/oauth/2.0/token", params={
        "grant_type": "password", "client_id": API_KEY, "client_secret": SECRET_KEY}, timeout=30)
    assert reply.status_code == 400 and reply.json()["error"] == "unsupported_grant_type"


# ---- access tokens ---------------------------------------------------------------------------------

def test_calls_without_a_valid_token_get_110(server, token):
    assert face(server, "faceset/group/getlist", None, data="{}")["error_code"] == 110
    assert face(server, "faceset/group/getlist", "24.forged", data="{}")["error_code"] == 110
    assert face(server, "faceset/group/getlist", token, data="{}")["error_code"] == 0


def test_expired_tokens_get_111(service):
    app = create_app(service, {API_KEY: SECRET_KEY}, token_ttl=0.3)
    with ServerThread(app) as running:
        short = requests.get(running.url + "/oauth/2.0/token", params={
            "grant_type": "client_credentials", "client_id": API_KEY,
            "client_secret": SECRET_KEY}, timeout=30).json()["access_token"]
        assert face(running, "faceset/group/getlist", short, data="{}")["error_code"] == 0
        time.sleep(0.5)
        reply = face(running, "faceset/group/getlist", short, data="{}")
        assert reply["error_code"] == 111 and reply["error_msg"].startswith("Access token expired")


# ---- bodies ----------------------------------------------------------------------------------------

def test_a_stalled_body_gets_216100_after_the_timeout(service):
    """A client that announces a body and stops sending gets Baidu's JSON error, not a connection
    held open forever."""
    import socket

    app = create_app(service, {API_KEY: SECRET_KEY}, body_timeout=0.5)
    with ServerThread(app) as running:
        token = requests.get(running.url + "/oauth/2.0/token", params={
            "grant_type": "client_credentials", "client_id": API_KEY,
            "client_secret": SECRET_KEY}, timeout=30).json()["access_token"]
        with socket.create_connection((running.host, running.port), timeout=30) as conn:
            conn.sendall((f"POST /rest/2.0/face/v3/detect?access_token={token} HTTP/1.1\r\n"
                          f"Host: {running.host}\r\nContent-Type: application/json\r\n"
                          "Content-Length: 1000\r\n\r\n{\"image\": \"").encode())
            started = time.monotonic()
            reply = b""
            while b"}" not in reply.partition(b"\r\n\r\n")[2]:
                chunk = conn.recv(65536)
                assert chunk, "the server closed the connection without a reply"
                reply += chunk
            waited = time.monotonic() - started
        body = json.loads(reply.partition(b"\r\n\r\n")[2])
        assert body["error_code"] == 216100 and "did not arrive within 0.5 s" in full_message(body)
        assert waited >= 0.4  # it did wait for the body first
        with pytest.raises(Exception):
            create_app(service, {API_KEY: SECRET_KEY}, body_timeout=0)


def test_oversized_bodies_get_216103_and_the_server_keeps_serving(server, token, obama):
    big = json.dumps({"image": "A" * (3 * LIMIT), "image_type": "BASE64"})
    assert face(server, "detect", token, data=big)["error_code"] == 216103

    def chunks():  # no Content-Length: the limit is found while reading
        for _ in range(3 * LIMIT // 65536 + 1):
            yield b"A" * 65536

    assert face(server, "detect", token, data=chunks())["error_code"] == 216103
    reply = face(server, "detect", token, json={"image": obama, "image_type": "BASE64"})
    assert reply["error_code"] == 0 and reply["result"]["face_num"] == 1


@pytest.mark.parametrize("data, headers", [
    ("{", {}),
    ('{"image": "abc", ', {}),
    ("42", {}),
    ('"a string"', {}),
    (b"\xff\xfe{}", {}),
    ("image=%ZZ&x", {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_bodies_that_are_not_json_objects_get_216100(server, token, data, headers):
    assert face(server, "detect", token, data=data, headers=headers)["error_code"] == 216100


def test_a_body_of_the_wrong_shape_gets_216100(server, token, obama):
    assert face(server, "detect", token, json=[{"image": obama}])["error_code"] == 216100
    assert face(server, "match", token, json={"image": obama})["error_code"] == 216100
    assert face(server, "match", token, json=[1, 2])["error_code"] == 216100


@pytest.mark.parametrize("data", [
    b"[" * 200_000,                                  # the audit's body
    b"{\"a\":" * 65 + b"1" + b"}" * 65,              # one level past the bound, well formed
    b"[" * 900 + b"]" * 900,                         # under Python's recursion limit, still refused
])
def test_deeply_nested_json_gets_216100_without_a_traceback(server, token, data, caplog):
    with caplog.at_level("DEBUG", logger="faceedge.server"):
        body = face(server, "detect", token, data=data,
                    headers={"Content-Type": "application/json"})
    assert body["error_code"] == 216100 and "nests JSON more than 64" in full_message(body)
    assert not [r for r in caplog.records if r.exc_info], caplog.text


def test_the_depth_scan_ignores_brackets_in_strings_and_counts_real_nesting():
    from faceedge.server.body import MAX_JSON_DEPTH, json_depth_exceeds, parse_body

    deep_ok = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert not json_depth_exceeds(deep_ok, MAX_JSON_DEPTH)
    assert parse_body(deep_ok, "application/json")
    assert json_depth_exceeds(b"[" + deep_ok + b"]", MAX_JSON_DEPTH)
    # A string ending in an escaped backslash, then one starting with an escaped quote.
    in_string = b'{"image": "' + b"[" * 5000 + b'\\\\", "x": "\\"[{"}'
    assert not json_depth_exceeds(in_string, MAX_JSON_DEPTH)
    assert parse_body(in_string, "application/json")["image"].startswith("[[[")
    # Many brackets side by side are not deep.
    assert not json_depth_exceeds(b"[" + b"[]," * 10000 + b"[]]", MAX_JSON_DEPTH)


def test_form_bodies_are_read(server, token):
    assert face(server, "faceset/group/add", token, data={"group_id": "from_form"})[
        "error_code"] == 0
    listed = face(server, "faceset/group/getlist", token,
                  data={"start": "0", "length": "100"})["result"]["group_id_list"]
    assert "from_form" in listed


def test_json_labelled_as_a_form_is_read_as_json_as_baidu_does(server, token, obama):
    """Baidu's Java SDK sends its JSON bodies with Content-Type
    application/x-www-form-urlencoded; Baidu's cloud reads them as JSON, and so must we."""
    as_form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = json.dumps({"image": obama, "image_type": "BASE64", "max_face_num": 2})
    reply = face(server, "detect", token, data=" \n" + body, headers=as_form)
    assert reply["error_code"] == 0 and reply["result"]["face_num"] == 1
    added = face(server, "faceset/group/add", token, data='{"group_id": "json_as_form"}',
                 headers=as_form)
    assert added["error_code"] == 0
    pair = json.dumps([{"image": obama, "image_type": "BASE64"}] * 2)
    assert face(server, "match", token, data=pair, headers=as_form)["result"]["score"] > 90
    # Broken JSON under the form label is still refused as a bad body, not read as a form.
    assert face(server, "detect", token, data='{"image": ', headers=as_form)["error_code"] == 216100


def test_image_type_is_required_and_images_are_never_file_paths(server, token, testdata_dir):
    path = str(testdata_dir / "faces/obama_1.jpg")
    missing = face(server, "detect", token, json={"image": path})
    assert missing["error_code"] == 222001 and "image_type" in full_message(missing)
    for kind in ("BASE64", "FACE_TOKEN"):
        assert face(server, "detect", token, json={"image": path, "image_type": kind})[
            "error_code"] in (222013, 216201, 222025)
    assert face(server, "detect", token, json={"image_type": "BASE64"})["error_code"] == 222001


# ---- paths -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/rest/2.0/face/v3/nothing", "/rest/2.0/face/v9/detect",
                                  "/rest/2.0/ocr/v1/general", "/", "/index.html"])
def test_unknown_paths_get_error_3(server, token, path):
    reply = post(server, path, token, data="{}")
    assert reply["error_code"] == 3 and reply["error_msg"].startswith("Unsupported openapi method")


def test_get_on_a_face_path_gets_error_3(server, token):
    reply = requests.get(server.url + "/rest/2.0/face/v3/detect",
                         params={"access_token": token}, timeout=30)
    assert reply.status_code == 200 and reply.json()["error_code"] == 3


def test_cloud_only_paths_check_the_token_then_say_offline(server, token):
    assert face(server, "person/verify", None, data="{}")["error_code"] == 110
    assert face(server, "person/verify", token, data="{}")["error_code"] == 216102
    reply = post(server, "/rest/2.0/face/v1/faceliveness/verify", token,
                 data={"video_base64": "AAAA"})
    assert reply["error_code"] == 216102 and "voice" in full_message(reply)


# ---- failures inside and load ----------------------------------------------------------------------

def test_an_unexpected_failure_is_an_envelope_without_the_details(server, token, obama, engine,
                                                                  monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(engine, "detect", broken)
    reply = face(server, "detect", token, json={"image": obama, "image_type": "BASE64"})
    assert reply["error_code"] == 222302
    assert "secret" not in full_message(reply) and str(reply["log_id"]) in full_message(reply)
    assert "secret internal detail" in caplog.text


def test_parallel_calls_all_get_their_answers(server, token, obama, testdata_dir):
    group = base64.b64encode((testdata_dir / "groups/obama_and_biden.jpg").read_bytes()).decode()
    jobs = [(obama, 1), (group, 3)] * 3
    answers = [None] * len(jobs)

    def run(k, image):
        answers[k] = face(server, "detect", token,
                          json={"image": image, "image_type": "BASE64", "max_face_num": 10})

    threads = [threading.Thread(target=run, args=(k, image)) for k, (image, _) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [a["result"]["face_num"] for a in answers] == [n for _, n in jobs]


# ---- the command ------------------------------------------------------------------------------------

# `faceedge serve` through the CLI's own main(); serve is added to the command groups here in
# case the CLI package does not list it (yet).
SERVE = """import sys
import faceedge.cli as cli
from faceedge.cli import serve
if serve not in cli.COMMAND_GROUPS:
    cli.COMMAND_GROUPS = cli.COMMAND_GROUPS + (serve,)
sys.exit(cli.main(["serve"] + sys.argv[1:]))
"""


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_faceedge_serve_runs_for_the_unmodified_sdk_and_stops_cleanly(tmp_path, models_dir,
                                                                      testdata_dir):
    import signal
    import subprocess
    import sys

    import aip

    from faceedge import FaceEngine, FaceLibrary
    from faceedge.compat import point_sdk_at

    keys = tmp_path / "keys.txt"
    keys.write_text("# api_key secret_key\nserve-key serve-secret\n")
    library, port = tmp_path / "served.db", _free_port()
    cmd = [sys.executable, "-c", SERVE, "--library", str(library), "--port", str(port),
           "--keys-file", str(keys), "--models", str(models_dir), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(proc, url)
        client = point_sdk_at(aip.AipFace("1", "serve-key", "serve-secret"), url)
        image = base64.b64encode((testdata_dir / "faces/obama_1.jpg").read_bytes()).decode()
        assert client.addUser(image, "BASE64", "staff", "obama")["error_code"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    # uvicorn shuts down gracefully (the app closes the library), then re-raises the signal.
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "faceedge serve: http://127.0.0.1" in err and "Traceback" not in err
    with FaceLibrary(library, FaceEngine(models=models_dir)) as lib:
        assert lib.get_group_users("staff").user_id_list == ["obama"]


def test_faceedge_serve_refuses_to_start_without_keys(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("FACEEDGE_API_KEY", "FACEEDGE_SECRET_KEY")}
    for extra in ([], ["--api-key", "only-the-key"], ["--keys-file", str(tmp_path / "none")]):
        done = subprocess.run([sys.executable, "-c", SERVE, "--library", str(tmp_path / "x.db")]
                              + extra, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 2 and json.loads(done.stderr)["error_code"] == 229014, extra
    assert not (tmp_path / "x.db").exists()


def test_the_listening_socket_turns_nagle_off():
    """uvicorn writes a reply's head and body apart: with Nagle on, every reply over loopback
    waited ~40 ms for the client's delayed ACK. Accepted sockets inherit the listener's option."""
    import socket

    from faceedge.server.runner import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


# ---- keys on the command line ----------------------------------------------------------------------

def test_a_secret_on_the_command_line_is_warned_about_and_the_file_form_is_not(tmp_path, capsys,
                                                                              monkeypatch):
    import argparse

    from faceedge.cli.serve import read_keys

    monkeypatch.delenv("FACEEDGE_API_KEY", raising=False)
    monkeypatch.delenv("FACEEDGE_SECRET_KEY", raising=False)
    args = argparse.Namespace(api_key="k", secret_key="s", keys_file=None)
    assert read_keys(args) == {"k": "s"}
    err = capsys.readouterr().err
    assert "warning" in err and "process list" in err and "--keys-file" in err
    keys = tmp_path / "keys"
    keys.write_text("k2 s2\n")
    assert read_keys(argparse.Namespace(api_key=None, secret_key=None,
                                        keys_file=str(keys))) == {"k2": "s2"}
    monkeypatch.setenv("FACEEDGE_API_KEY", "k3")
    monkeypatch.setenv("FACEEDGE_SECRET_KEY", "s3")
    assert read_keys(argparse.Namespace(api_key=None, secret_key=None,
                                        keys_file=None)) == {"k3": "s3"}
    assert capsys.readouterr().err == ""


def test_serve_help_puts_the_keys_file_before_the_command_line_secret(capsys):
    from faceedge.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert out.index("--keys-file") < out.index("--api-key") < out.index("--secret-key")
    for option in ("--header-timeout", "--max-connections", "--max-connections-per-client"):
        assert option in out
