"""The drop-in ``faceedge.compat.AipFace``: the SDK's interface method for method, real answers on
the real models and photos, the cloud-only methods' error, URL images (refused, or fetched when
allowed), the default library, and ``point_sdk_at``."""
import base64
import functools
import http.server
import inspect
import logging
import threading

import aip
import pytest

from faceedge.compat import AipFace, BaiduFaceService, default_library_path, point_sdk_at
from faceedge.compat.envelope import endpoint_key
from faceedge.errors import FaceEdgeError

from baidu_replies import full_message

APP_ID, API_KEY, SECRET_KEY = "10000002", "compat-key", "compat-secret"
CLOUD_ONLY = {"personVerify", "videoSessioncode", "faceMingJingVerify", "faceMingJingMatch",
              "onlinePictureLiveV4", "facelivenessVerifyV1", "facePersonIdmatchV3", "faceMergeV1",
              "faceSkinSmoothV1", "faceLandmarkV1", "faceSceneFacesetUserAdd",
              "faceSceneFacesetUserUpdate", "faceSceneFacesetGroupAdd", "faceCaptureSearch",
              "faceIdmatchDateV4", "faceVerifyDateV4", "report"}


def sdk_methods():
    return {name: fn for name, fn in inspect.getmembers(aip.AipFace, inspect.isfunction)
            if not name.startswith("_")}


@pytest.fixture(scope="module")
def client(engine, tmp_path_factory):
    c = AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine,
                library=tmp_path_factory.mktemp("compat") / "lib.db")
    yield c
    c.close()


@pytest.fixture(scope="module")
def b64(testdata_dir):
    return lambda rel: base64.b64encode((testdata_dir / rel).read_bytes()).decode()


@pytest.fixture(scope="module")
def photo_site(testdata_dir):
    """The test photos on a local HTTP server, for URL images."""
    handler = functools.partial(_QuietHandler, directory=str(testdata_dir))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()
    thread.join(10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def ok(reply):
    assert reply["error_code"] == 0, reply
    return reply["result"]


# ---- the interface ---------------------------------------------------------------------------------

def test_every_sdk_method_exists_with_the_same_arguments():
    for name, fn in sdk_methods().items():
        ours = getattr(AipFace, name, None)
        assert ours is not None, f"AipFace lacks {name}"
        theirs = list(inspect.signature(fn).parameters.values())
        mine = list(inspect.signature(ours).parameters.values())
        assert [(p.name, p.default) for p in mine] == [(p.name, p.default) for p in theirs], name


def test_constructor_and_settings_like_the_sdk(client):
    params = list(inspect.signature(AipFace).parameters)
    assert params[:3] == ["appId", "apiKey", "secretKey"]
    assert client.getVersion() == "4.16.13"
    client.setConnectionTimeoutInMillis(5000)
    client.setSocketTimeoutInMillis(5000)
    client.setProxies({"http": "http://proxy:1"})
    assert ok(client.getGroupList()) is not None


def test_the_cloud_only_methods_answer_216102_with_the_reason(client, b64):
    methods = sdk_methods()
    image = b64("faces/obama_1.jpg")
    for name in sorted(CLOUD_ONLY):
        required = [p for p in inspect.signature(methods[name]).parameters.values()
                    if p.name != "self" and p.default is inspect.Parameter.empty]
        args = [image if p.name == "image" else "BASE64" if "ype" in p.name else "x"
                for p in required]
        reply = getattr(client, name)(*args)
        assert reply["error_code"] == 216102 and reply["result"] is None, name
        assert "not available offline" in full_message(reply)
    working = set(methods) - CLOUD_ONLY - {"getVersion", "setConnectionTimeoutInMillis",
                                           "setSocketTimeoutInMillis", "setProxies", "post"}
    assert working == {"detect", "search", "multiSearch", "addUser", "updateUser", "faceDelete",
                       "getUser", "faceGetlist", "getGroupUsers", "userCopy", "deleteUser",
                       "groupAdd", "groupDelete", "getGroupList", "match", "faceverify"}


def test_service_lists_its_endpoints():
    endpoints = BaiduFaceService.endpoints()
    assert endpoints["detect"] == endpoints["faceset/user/add"] == "offline"
    assert endpoints["person/verify"] == endpoints["v1/faceliveness/sessioncode"] == "cloud only"


# ---- real answers ----------------------------------------------------------------------------------

def test_detect_enrol_search_in_process(client, b64):
    assert ok(client.detect(b64("groups/voc_2008_001322.jpg"), "BASE64",
                            {"max_face_num": "10", "face_sort_type": "1"}))["face_num"] == 3
    ok(client.addUser(b64("faces/biden_1.jpg"), "BASE64", "g", "biden"))
    hit = ok(client.search(b64("faces/biden_2.jpg"), "BASE64", ["g"]))["user_list"][0]
    assert hit["user_id"] == "biden" and hit["score"] > 80
    assert client.search(b64("faces/obama_2.jpg"), "BASE64", "g")["error_code"] == 222207


def test_post_takes_baidu_urls_and_json_text(client):
    url = "https://aip.baidubce.com/rest/2.0/face/v3/faceset/group/add"
    assert client.post(url, '{"group_id": "posted"}')["error_code"] == 0
    listed = client.post("https://aip.baidubce.com/rest/2.0/face/v3/faceset/group/getlist", {})
    assert "posted" in ok(listed)["group_id_list"]
    assert client.post(url, "{not json")["error_code"] == 216100
    assert client.post("https://aip.baidubce.com/rest/2.0/ocr/v1/general", {})["error_code"] == 3


def test_missing_parameters_get_baidu_codes(client, b64):
    assert client.detect(None, "BASE64")["error_code"] == 222001
    assert client.detect(b64("faces/obama_1.jpg"), None)["error_code"] == 222001
    assert client.detect(b64("faces/obama_1.jpg"), "BASE64",
                         {"face_type": "SELFIE"})["error_code"] == 222024
    assert client.getUser(None, "g")["error_code"] == 222001
    assert client.userCopy("biden")["error_code"] == 222001
    assert client.faceDelete("biden", "g", "not-a-token")["error_code"] == 222025


def test_endpoint_keys():
    assert endpoint_key("https://aip.baidubce.com/rest/2.0/face/v3/detect?x=1") == "detect"
    assert endpoint_key("/rest/2.0/face/v3/faceset/user/add/") == "faceset/user/add"
    assert endpoint_key("/rest/2.0/face/v1/merge") == "v1/merge"
    assert endpoint_key("/rpc/2.0/feedback/v1/report") == "feedback/v1/report"
    assert endpoint_key("/rest/2.0/ocr/v1/general") is None


# ---- URL images ------------------------------------------------------------------------------------

def test_url_images_are_refused_by_default(client, photo_site):
    reply = client.detect(photo_site + "/faces/obama_1.jpg", "URL")
    assert reply["error_code"] == 222015 and "offline" in full_message(reply)


def test_url_images_are_fetched_when_allowed(engine, photo_site):
    # The photo site is on loopback: only the "any" policy reaches it.
    with AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, allow_url="any",
                 library=None) as online:
        assert ok(online.detect(photo_site + "/groups/obama_and_biden.jpg", "URL",
                                {"max_face_num": 10}))["face_num"] == 3
        same = ok(online.match([{"image": photo_site + "/faces/obama_1.jpg", "image_type": "URL"},
                                {"image": photo_site + "/faces/obama_2.jpg",
                                 "image_type": "URL"}]))
        assert same["score"] > 80
        missing = online.detect(photo_site + "/faces/nobody.jpg", "URL")
        assert missing["error_code"] == 222204 and "404" in full_message(missing)
        for url in ("ftp://127.0.0.1/x.jpg", "file:///etc/hostname", "http://127.0.0.1:9/x.jpg"):
            assert online.detect(url, "URL")["error_code"] == 222204, url
        not_image = online.detect(photo_site + "/manifest.json", "URL")
        assert not_image["error_code"] == 216201


@pytest.mark.parametrize("policy, url, why", [
    (True, "http://127.0.0.1:{port}/faces/obama_1.jpg", "loopback"),
    ("private", "http://127.0.0.1:{port}/faces/obama_1.jpg", "loopback"),
    ("public", "http://localhost:{port}/faces/obama_1.jpg", "loopback"),
    ("public", "http://[::1]:{port}/x.jpg", "loopback"),
    ("public", "http://[::ffff:127.0.0.1]:{port}/x.jpg", "loopback"),
    ("private", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("private", "http://0.0.0.0:{port}/x.jpg", "unspecified"),
    ("private", "http://224.0.0.1/x.jpg", "multicast"),
    ("public", "http://10.0.0.7/x.jpg", "private"),
    ("public", "http://192.168.1.20/cam.jpg", "private"),
])
def test_url_images_from_local_addresses_are_refused_unless_allowed(engine, photo_site, policy,
                                                                     url, why):
    """Refused before any connection (nothing is sent to those addresses: the check is on the
    resolved address), with the policy that would allow it named."""
    port = photo_site.rsplit(":", 1)[1]
    with AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, allow_url=policy,
                 library=None) as online:
        reply = online.detect(url.format(port=port), "URL")
    assert reply["error_code"] == 222204, reply
    assert f"({why} address)" in full_message(reply) and "allow" in full_message(reply)


def test_url_policies_classify_addresses(engine):
    from faceedge.compat.urls import address_refused

    assert address_refused("8.8.8.8", "public") is None
    assert address_refused("2001:4860:4860::8888", "public") is None
    assert address_refused("10.1.2.3", "public") == "private"
    assert address_refused("172.20.0.1", "private") is None
    assert address_refused("100.64.0.1", "private") is None
    assert address_refused("fd00::1", "public") == "private"
    assert address_refused("fe80::1%eth0", "private") == "link-local"
    assert address_refused("127.0.0.1", "any") is None
    with pytest.raises(FaceEdgeError) as err:
        AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, allow_url="everything")
    assert err.value.error_code == 229014


# ---- library, service, errors ----------------------------------------------------------------------

def test_default_library_is_per_app_and_created_on_first_library_call(engine, tmp_path,
                                                                      monkeypatch, b64):
    monkeypatch.delenv("FACEEDGE_LIBRARY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_library_path("my app/1") == tmp_path / "faceedge" / "my_app_1.db"
    with AipFace("my app/1", API_KEY, SECRET_KEY, engine=engine) as c:
        ok(c.detect(b64("faces/obama_1.jpg"), "BASE64"))
        assert not (tmp_path / "faceedge" / "my_app_1.db").exists()
        ok(c.groupAdd("first"))
        assert (tmp_path / "faceedge" / "my_app_1.db").exists()
    monkeypatch.setenv("FACEEDGE_LIBRARY", str(tmp_path / "chosen.db"))
    assert default_library_path("x") == tmp_path / "chosen.db"


def test_a_library_in_use_is_an_envelope_not_an_exception(engine, tmp_path):
    path = tmp_path / "shared.db"
    with AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, library=path) as first:
        ok(first.groupAdd("g"))
        with AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, library=path) as second:
            assert second.getGroupList()["error_code"] == 229022
    closed = AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine, library=tmp_path / "c.db")
    closed.close()
    assert closed.getGroupList()["error_code"] == 229023


def test_service_without_a_library_answers_216102_for_library_calls(engine, b64):
    service = BaiduFaceService(engine)
    assert service.call("detect", {"image": b64("faces/obama_1.jpg"),
                                   "image_type": "BASE64"})["error_code"] == 0
    reply = service.call("faceset/group/getlist", {})
    assert reply["error_code"] == 216102 and "library" in full_message(reply)
    assert service.call("no/such/thing", {})["error_code"] == 3
    assert service.call(None, {})["error_code"] == 3


def test_unexpected_failures_are_logged_and_answered_222302(engine, b64, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("internal detail")

    monkeypatch.setattr(engine, "match", broken)
    service = BaiduFaceService(engine)
    with caplog.at_level(logging.ERROR, logger="faceedge.compat"):
        reply = service.call("match", [{"image": b64("faces/obama_1.jpg"), "image_type": "BASE64"}]
                             * 2)
    assert reply["error_code"] == 222302 and "internal detail" not in full_message(reply)
    assert str(reply["log_id"]) in full_message(reply) and "internal detail" in caplog.text


def test_constructor_arguments_are_checked(engine, tmp_path):
    service = BaiduFaceService(engine)
    with pytest.raises(FaceEdgeError) as err:
        AipFace(APP_ID, API_KEY, SECRET_KEY, service=service, engine=engine)
    assert err.value.error_code == 229014
    with pytest.raises(FaceEdgeError):
        BaiduFaceService(engine, library=str(tmp_path / "x.db"))
    with pytest.raises(FaceEdgeError):
        BaiduFaceService(engine, url_timeout=0)


# ---- point_sdk_at ----------------------------------------------------------------------------------

def test_point_sdk_at_rewrites_every_endpoint_on_the_instance_only():
    client = aip.AipFace(APP_ID, API_KEY, SECRET_KEY)
    assert point_sdk_at(client, "http://127.0.0.1:8300/prefix/") is client
    names = [n for cls in type(client).__mro__ for n, v in vars(cls).items()
             if isinstance(v, str) and v.startswith("https://aip.baidubce.com")]
    assert "_AipFace__detectUrl" in names and "_AipBase__accessTokenUrl" in names
    for name in names:
        assert getattr(client, name).startswith("http://127.0.0.1:8300/prefix/"), name
    assert client._AipFace__detectUrl == "http://127.0.0.1:8300/prefix/rest/2.0/face/v3/detect"
    assert client._AipBase__accessTokenUrl == "http://127.0.0.1:8300/prefix/oauth/2.0/token"
    assert aip.AipFace._AipFace__detectUrl.startswith("https://aip.baidubce.com")
    for bad in ("127.0.0.1:8300", "ftp://host", ""):
        with pytest.raises(FaceEdgeError):
            point_sdk_at(aip.AipFace(APP_ID, API_KEY, SECRET_KEY), bad)
    with pytest.raises(FaceEdgeError):
        point_sdk_at(object(), "http://127.0.0.1:8300")
