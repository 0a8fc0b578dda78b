"""Baidu's unmodified Java SDK (4.12.0, Apache-2.0) against ``faceedge serve`` over TLS, by the
host name it has compiled in (https://aip.baidubce.com, port 443), with nothing on the machine
changed: the JVM gets its own hosts file and trust store.

The SDK's source comes from ``$FACEEDGE_CLIENTS`` (default ``../shared/clients`` beside the
repository) and is compiled here against Debian's org.json (libandroid-json-java) and slf4j
(libslf4j-java) jars. Skipped when the source, a JDK, those jars or port 443 are missing, unless
``FACEEDGE_REQUIRE_JAVA_SDK=1`` (CI, .ci/java_sdk.sh), where a skip is a failure.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from faceedge.compat import BaiduFaceService
from faceedge.server import ServerThread, create_app
from faceedge.server.tls import BAIDU_HOST, make_certificate, tls_context

REPO = Path(__file__).resolve().parents[1]
JARS = Path("/usr/share/java")
API_KEY, SECRET_KEY = "java-key", "java-secret"
# Android's org.json declares JSONException checked, json.org's (which the SDK was written
# against) unchecked: one SDK file compiles only against this stand-in, which is left off the
# run-time class path.
JSON_EXCEPTION_STUB = ("package org.json;\n"
                       "public class JSONException extends RuntimeException {\n"
                       "  public JSONException(String message) { super(message); }\n"
                       "  public JSONException(Throwable cause) { super(cause); }\n"
                       "}\n")


def _missing_or_skip(why: str):
    if os.environ.get("FACEEDGE_REQUIRE_JAVA_SDK") == "1":
        pytest.fail(f"FACEEDGE_REQUIRE_JAVA_SDK=1 but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def java_classpath(tmp_path_factory):
    clients = Path(os.environ.get("FACEEDGE_CLIENTS", REPO.parent / "shared" / "clients"))
    sdk = clients / "baidu-aip-java-sdk" / "src" / "main" / "java"
    if not sdk.is_dir():
        _missing_or_skip(f"the Java SDK's source is not at {sdk} (set FACEEDGE_CLIENTS)")
    for tool in ("javac", "java", "keytool"):
        if shutil.which(tool) is None:
            _missing_or_skip(f"{tool} is not installed (apt-get install default-jdk-headless)")
    jars = [JARS / "com.android.json.jar", JARS / "slf4j-api.jar"]
    if not all(j.exists() for j in jars):
        _missing_or_skip("Debian's org.json / slf4j jars are missing (apt-get install "
                         "libandroid-json-java libslf4j-java)")
    if os.geteuid() != 0:
        _missing_or_skip("port 443 needs root here")
    build = tmp_path_factory.mktemp("java")
    stub_src, stub, classes = build / "stub-src" / "org" / "json", build / "stub", build / "sdk"
    stub_src.mkdir(parents=True)
    (stub_src / "JSONException.java").write_text(JSON_EXCEPTION_STUB)
    run = lambda *cmd: subprocess.run(cmd, capture_output=True, text=True, timeout=600)  # noqa
    done = run("javac", "-nowarn", "-d", str(stub), str(stub_src / "JSONException.java"))
    assert done.returncode == 0, done.stderr
    sources = sorted(str(p) for p in sdk.rglob("*.java"))
    compile_cp = os.pathsep.join([str(stub)] + [str(j) for j in jars])
    done = run("javac", "-nowarn", "-encoding", "UTF-8", "-cp", compile_cp, "-d", str(classes),
               *sources)
    assert done.returncode == 0, done.stderr[-3000:]
    run_jars = jars + [j for j in [JARS / "slf4j-simple.jar"] if j.exists()]
    cp = os.pathsep.join([str(classes)] + [str(j) for j in run_jars])
    done = run("javac", "-nowarn", "-cp", cp, "-d", str(build / "driver"),
               str(REPO / "tests" / "java" / "SdkDriver.java"))
    assert done.returncode == 0, done.stderr
    return os.pathsep.join([str(build / "driver"), cp]), build


@pytest.fixture(scope="module")
def replies(java_classpath, engine, testdata_dir, tmp_path_factory):
    classpath, build = java_classpath
    cert, key = make_certificate(build / "tls", [BAIDU_HOST])
    store = build / "trust.p12"
    done = subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", "faceedge", "-file",
                           str(cert), "-keystore", str(store), "-storetype", "PKCS12",
                           "-storepass", "changeit"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    hosts = build / "hosts"
    hosts.write_text(f"127.0.0.1 {BAIDU_HOST}\n")
    service = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("javalib") / "l.db")
    app = create_app(service, {API_KEY: SECRET_KEY})
    try:
        server = ServerThread(app, host="127.0.0.1", port=443, tls=tls_context(str(cert),
                                                                               str(key)))
    except OSError as exc:
        _missing_or_skip(f"port 443 is not free: {exc}")
    with server:
        done = subprocess.run(
            ["java", f"-Djdk.net.hosts.file={hosts}", f"-Djavax.net.ssl.trustStore={store}",
             "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12",
             "-cp", classpath, "SdkDriver", str(testdata_dir), API_KEY, SECRET_KEY],
            capture_output=True, text=True, timeout=600)
    service.close()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = {}
    for line in done.stdout.splitlines():
        if "\t" in line:
            label, text = line.split("\t", 1)
            out[label] = json.loads(text)
    return out


def ok(reply):
    assert reply["error_code"] == 0 and reply["error_msg"] == "SUCCESS", json.dumps(reply)
    return reply["result"]


def test_detect_with_the_docs_sample_fields(replies):
    one = ok(replies["detect"])
    assert one["face_num"] == 1 and "quality" in one["face_list"][0]
    assert {"age", "beauty", "spoofing"} <= set(one["unsupported_face_field"])
    assert ok(replies["detect_group"])["face_num"] == 3


def test_the_face_library_calls(replies):
    ok(replies["groupAdd"])
    assert replies["groupAdd_again"]["error_code"] == 223101
    assert replies["groupAdd_again"]["error_msg"] == "group is already exist"
    for label in ("addUser_obama", "addUser_biden", "addUser_obama2", "updateUser"):
        assert ok(replies[label])["face_token"]
    assert ok(replies["getUser"])["user_list"] == [{"user_info": "44th", "group_id": "java_gate"}]
    assert len(ok(replies["faceGetlist"])["face_list"]) == 2
    assert sorted(ok(replies["getGroupUsers"])["user_id_list"]) == ["biden", "obama"]
    assert {"java_gate", "java_other"} <= set(ok(replies["getGroupList"])["group_id_list"])
    ok(replies["userCopy"])
    again = replies["userCopy_again"]
    assert again["error_code"] == 216100 and again["error_msg"] == "already add"
    ok(replies["faceDelete"])
    ok(replies["deleteUser"])
    assert replies["getUser_deleted"]["error_code"] == 223103
    ok(replies["groupDelete"])


def test_search_and_multi_search_find_the_right_people(replies):
    best = ok(replies["search"])["user_list"][0]
    assert best["user_id"] == "obama" and best["score"] > 80
    found = {u["user_id"] for face in ok(replies["multiSearch"])["face_list"]
             for u in face["user_list"]}
    assert {"obama", "biden"} <= found


def test_match_and_faceverify(replies):
    same, different = ok(replies["match_same"])["score"], ok(replies["match_different"])["score"]
    assert same > 80 > different
    verified = ok(replies["faceverify"])
    assert verified["face_liveness"] > 0.5 and verified["unsupported_face_field"] == [
        "age", "beauty", "spoofing"]


def test_errors_carry_baidus_exact_text(replies):
    missing = replies["detect_missing_image"]
    assert missing["error_code"] == 222001 and missing["error_msg"] == "param[] is null"
