"""``faceedge serve`` over TLS: a certificate made by ``faceedge serve-cert`` for the name a
client calls, trusted by that client only; a bad certificate/key pair refused at start."""
import base64
import os
import ssl
import stat

import pytest
import requests

from faceedge.compat import BaiduFaceService
from faceedge.errors import FaceEdgeError
from faceedge.server import ServerThread, create_app
from faceedge.server.tls import make_certificate, tls_context

API_KEY, SECRET_KEY = "k-tls", "s-tls"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    out = tmp_path_factory.mktemp("certs")
    return make_certificate(out, ["localhost", "aip.baidubce.com"], ["127.0.0.1"])


@pytest.fixture(scope="module")
def tls_server(engine, certs, tmp_path_factory):
    service = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("tls") / "lib.db")
    app = create_app(service, {API_KEY: SECRET_KEY})
    with ServerThread(app, tls=tls_context(str(certs[0]), str(certs[1]))) as running:
        yield running
    service.close()


def test_the_key_is_private_and_the_certificate_names_the_hosts(certs):
    cert, key = certs
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    decoded = ssl._ssl._test_decode_cert(str(cert))
    names = {value for _, value in decoded["subjectAltName"]}
    assert {"localhost", "aip.baidubce.com", "127.0.0.1"} <= names


def test_a_client_that_trusts_the_certificate_gets_baidu_replies(tls_server, certs,
                                                                 testdata_dir):
    assert tls_server.url.startswith("https://127.0.0.1:")
    token = requests.get(tls_server.url + "/oauth/2.0/token", verify=str(certs[0]), timeout=30,
                         params={"grant_type": "client_credentials", "client_id": API_KEY,
                                 "client_secret": SECRET_KEY}).json()["access_token"]
    image = base64.b64encode((testdata_dir / "faces/obama_1.jpg").read_bytes()).decode()
    reply = requests.post(tls_server.url + "/rest/2.0/face/v3/detect", verify=str(certs[0]),
                          params={"access_token": token}, timeout=60,
                          json={"image": image, "image_type": "BASE64"}).json()
    assert reply["error_code"] == 0 and reply["result"]["face_num"] == 1


def test_a_client_that_does_not_trust_it_is_refused_and_plain_http_gets_nothing(tls_server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/oauth/2.0/token", timeout=10)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(tls_server.url.replace("https", "http") + "/oauth/2.0/token", timeout=10)


def test_a_key_of_another_certificate_or_a_missing_file_fails_at_start(certs, tmp_path):
    other_cert, other_key = make_certificate(tmp_path, ["elsewhere"])
    with pytest.raises(FaceEdgeError) as mismatch:
        tls_context(str(certs[0]), str(other_key))
    assert mismatch.value.error_code == 229014 and "cannot be used together" in str(mismatch.value)
    with pytest.raises(FaceEdgeError) as missing:
        tls_context(str(tmp_path / "nope.crt"), str(certs[1]))
    assert missing.value.error_code == 229014 and "not a readable file" in str(missing.value)


def test_serve_cert_prints_the_recipe(tmp_path, capsys):
    from faceedge.cli import main

    assert main(["serve-cert", "--out", str(tmp_path), "--device-ip", "10.1.2.3"]) == 0
    out = capsys.readouterr().out
    assert "10.1.2.3  aip.baidubce.com" in out and "keytool -importcert" in out
    assert (tmp_path / "faceedge-tls.crt").exists() and (tmp_path / "faceedge-tls.key").exists()


def test_the_connection_gate_still_applies_behind_tls(engine, certs, tmp_path):
    """The gate sits in the HTTP protocol, under asyncio's TLS layer: a client that completes
    the handshake and then dribbles its request head is still cut at the header timeout, and
    one client's connections past max_per_client are still refused."""
    import socket
    import time

    from faceedge.server.connections import ConnectionGate

    service = BaiduFaceService(engine, library_path=tmp_path / "lib.db")
    gate = ConnectionGate(header_timeout=1.0, max_per_client=2)
    trusting = ssl.create_default_context(cafile=str(certs[0]))
    try:
        with ServerThread(create_app(service, {API_KEY: SECRET_KEY}), gate=gate,
                          tls=tls_context(str(certs[0]), str(certs[1]))) as running:
            def tls_socket():
                raw = socket.create_connection(("127.0.0.1", running.port), timeout=10)
                return trusting.wrap_socket(raw, server_hostname="localhost")

            slow = tls_socket()
            slow.sendall(b"GET /oauth/2.0/token HTTP/1.1\r\n")
            started = time.monotonic()
            while time.monotonic() - started < 8:  # a byte now and then does not extend it
                try:
                    slow.sendall(b"X")
                    if slow.recv(1024) == b"":
                        break
                except (socket.timeout, ssl.SSLError, OSError):
                    break
            assert time.monotonic() - started < 8, "the dribbling TLS client was not cut"
            slow.close()

            def served(conn) -> bool:
                """Whether a token request on ``conn`` gets a reply (a reset or close: no)."""
                try:
                    conn.sendall(b"GET /oauth/2.0/token HTTP/1.1\r\nHost: x\r\n\r\n")
                    return conn.recv(1024).startswith(b"HTTP/1.1")
                except (ssl.SSLError, OSError):
                    return False

            held = [tls_socket(), tls_socket()]
            try:
                third = tls_socket()
            except (ssl.SSLError, OSError):
                third = None
            assert third is None or not served(third), "a third connection from one client"
            assert all(served(s) for s in held)  # the two within the bound are served
            for s in held:
                s.close()
    finally:
        service.close()


def test_connections_that_never_start_tls_are_bounded_and_cut(engine, certs, tmp_path):
    """A TCP connection to the TLS port that sends no ClientHello is counted by the gate like
    any other (the per-client bound) and cut at the header timeout, not left to the 60 s
    handshake timeout of asyncio with no bound on how many there are."""
    import socket
    import time

    from faceedge.server.connections import ConnectionGate

    service = BaiduFaceService(engine, library_path=tmp_path / "lib.db")
    gate = ConnectionGate(header_timeout=1.0, max_per_client=2)

    def closed_within(sock, seconds: float) -> bool:
        sock.settimeout(seconds)
        try:
            return sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    try:
        with ServerThread(create_app(service, {API_KEY: SECRET_KEY}), gate=gate,
                          tls=tls_context(str(certs[0]), str(certs[1]))) as running:
            silent = [socket.create_connection(("127.0.0.1", running.port), timeout=10)
                      for _ in range(2)]
            time.sleep(0.3)
            third = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            assert closed_within(third, 0.8), "a third silent connection from one client"
            started = time.monotonic()
            assert all(closed_within(s, 5) for s in silent), "silent connections were held"
            assert time.monotonic() - started < 3
            for s in silent + [third]:
                s.close()
            assert gate.totals["refused (per-client limit)"] == 1
            # clients that do the handshake are served afterwards, every one of them (the
            # ClientHello must reach the TLS layer, not the HTTP protocol, however fast it comes)
            trusting = ssl.create_default_context(cafile=str(certs[0]))
            for _ in range(20):
                with trusting.wrap_socket(socket.create_connection(("127.0.0.1", running.port),
                                                                   timeout=10),
                                          server_hostname="localhost") as conn:
                    conn.sendall(b"GET /oauth/2.0/token HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert conn.recv(1024).startswith(b"HTTP/1.1 ")
            assert requests.get(running.url.replace("127.0.0.1", "localhost") +
                                "/oauth/2.0/token", verify=str(certs[0]), timeout=10,
                                params={"grant_type": "client_credentials",
                                        "client_id": API_KEY,
                                        "client_secret": SECRET_KEY}).status_code == 200
    finally:
        service.close()
