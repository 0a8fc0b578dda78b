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
from faceedge.server.tls import make_certificate, tls_options

API_KEY, SECRET_KEY = "k-tls", "s-tls"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    out = tmp_path_factory.mktemp("certs")
    return make_certificate(out, ["localhost", "aip.baidubce.com"], ["127.0.0.1"])


@pytest.fixture(scope="module")
def tls_server(engine, certs, tmp_path_factory):
    service = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("tls") / "lib.db")
    app = create_app(service, {API_KEY: SECRET_KEY})
    with ServerThread(app, tls=tls_options(str(certs[0]), str(certs[1]))) as running:
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
        tls_options(str(certs[0]), str(other_key))
    assert mismatch.value.error_code == 229014 and "cannot be used together" in str(mismatch.value)
    with pytest.raises(FaceEdgeError) as missing:
        tls_options(str(tmp_path / "nope.crt"), str(certs[1]))
    assert missing.value.error_code == 229014 and "not a readable file" in str(missing.value)


def test_serve_cert_prints_the_recipe(tmp_path, capsys):
    from faceedge.cli import main

    assert main(["serve-cert", "--out", str(tmp_path), "--device-ip", "10.1.2.3"]) == 0
    out = capsys.readouterr().out
    assert "10.1.2.3  aip.baidubce.com" in out and "keytool -importcert" in out
    assert (tmp_path / "faceedge-tls.crt").exists() and (tmp_path / "faceedge-tls.key").exists()
