"""The unmodified baidu-aip SDK (PyPI 4.16.13) against ``faceedge serve``, on the real models and
photos: pointed at a uvicorn server on a loopback port with ``point_sdk_at``, it gets its token,
detects, enrols, searches, compares and checks liveness, and gets the right answers. Every call
is also made through the drop-in ``faceedge.compat.AipFace`` (on a library of its own) and the two
envelopes must be equal but for ``log_id``, ``timestamp`` and enrolment ``ctime``."""
import base64
import time

import aip
import pytest

from faceedge.compat import AipFace, BaiduFaceService, point_sdk_at
from faceedge.server import ServerThread, create_app

from baidu_replies import full_message

APP_ID, API_KEY, SECRET_KEY = "10000001", "gate-api-key", "gate-secret-key"
PHOTOS = {
    "obama": "faces/obama_1.jpg",
    "obama2": "faces/obama_2.jpg",
    "biden": "faces/biden_1.jpg",
    "biden2": "faces/biden_2.jpg",
    "alex": "faces/alex_lacamoire_1.jpg",
    "group": "groups/obama_and_biden.jpg",
    "cat": "noface/cat_chelsea.png",
    "live": "liveness/live_T1.jpg",
    "screen": "liveness/spoof_F2_screen.jpg",
}


@pytest.fixture(scope="module")
def photo(testdata_dir):
    """name -> the photo as base64 text, as a Baidu client sends it."""
    return {name: base64.b64encode((testdata_dir / rel).read_bytes()).decode("ascii")
            for name, rel in PHOTOS.items()}


@pytest.fixture(scope="module")
def server(engine, tmp_path_factory):
    service = BaiduFaceService(engine, library_path=tmp_path_factory.mktemp("srv") / "lib.db")
    app = create_app(service, {API_KEY: SECRET_KEY})
    with ServerThread(app) as running:
        yield running, app, service
    service.close()


@pytest.fixture(scope="module")
def sdk(server):
    return point_sdk_at(aip.AipFace(APP_ID, API_KEY, SECRET_KEY), server[0].url)


@pytest.fixture(scope="module")
def dropin(engine, tmp_path_factory):
    client = AipFace(APP_ID, API_KEY, SECRET_KEY, engine=engine,
                     library=tmp_path_factory.mktemp("dropin") / "lib.db")
    yield client
    client.close()


def _without_ctime(value):
    """Enrolment times differ when the two enrolments straddle a second: check the format only."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ctime":
                assert time.strptime(item, "%Y-%m-%d %H:%M:%S")
                item = "<ctime>"
            out[key] = _without_ctime(item)
        return out
    if isinstance(value, list):
        return [_without_ctime(item) for item in value]
    return value


def comparable(reply):
    out = dict(reply)
    assert isinstance(out.pop("log_id"), int) and isinstance(out.pop("timestamp"), int)
    return _without_ctime(out)


@pytest.fixture(scope="module")
def both(sdk, dropin):
    """Make one call through the SDK (server) and the drop-in; they must agree."""
    def call(method, *args):
        over_http = getattr(sdk, method)(*args)
        in_process = getattr(dropin, method)(*args)
        assert comparable(over_http) == comparable(in_process), method
        assert over_http["cached"] == 0
        return over_http
    return call


def ok(reply):
    assert reply["error_code"] == 0 and reply["error_msg"] == "SUCCESS", reply
    return reply["result"]


def failed(reply, code):
    assert reply["error_code"] == code and reply["result"] is None, reply
    return full_message(reply)


@pytest.fixture(scope="module")
def enrolled(both, photo):
    """Obama and Biden enrolled in group "staff", through both doors."""
    tokens = {}
    for name in ("obama", "biden"):
        result = ok(both("addUser", photo[name], "BASE64", "staff", name,
                         {"user_info": f"{name} 总统", "quality_control": "LOW"}))
        assert len(result["face_token"]) == 32 and result["location"]["width"] > 50
        tokens[name] = result["face_token"]
    return tokens


# ---- detection, comparison, liveness ---------------------------------------------------------------

def test_detect_counts_the_faces(both, photo):
    one = ok(both("detect", photo["obama"], "BASE64"))
    assert one["face_num"] == 1 and len(one["face_list"][0]["landmark"]) == 4
    group = ok(both("detect", photo["group"], "BASE64", {"max_face_num": 10,
                                                         "face_field": "quality"}))
    assert group["face_num"] == 3 and all("quality" in f for f in group["face_list"])
    failed(both("detect", photo["cat"], "BASE64"), 222202)
    asked = ok(both("detect", photo["obama"], "BASE64", {"face_field": "age,beauty"}))
    assert asked["face_num"] == 1 and asked["unsupported_face_field"] == ["age", "beauty"]


def test_a_detected_face_token_is_an_image_for_later_calls(both, photo):
    token = ok(both("detect", photo["obama2"], "BASE64"))["face_list"][0]["face_token"]
    result = ok(both("match", [{"image": token, "image_type": "FACE_TOKEN"},
                               {"image": photo["obama"], "image_type": "BASE64"}]))
    assert result["score"] > 80 and result["face_list"][0]["face_token"] == token


def test_match_tells_the_same_person_from_another(both, photo):
    same = ok(both("match", [{"image": photo["obama"], "image_type": "BASE64"},
                             {"image": photo["obama2"], "image_type": "BASE64"}]))
    other = ok(both("match", [{"image": photo["obama"], "image_type": "BASE64"},
                              {"image": photo["biden"], "image_type": "BASE64",
                               "face_type": "LIVE", "quality_control": "LOW"}]))
    assert same["score"] > 80 > other["score"]
    failed(both("match", [{"image": photo["obama"], "image_type": "BASE64"}]), 222208)
    failed(both("match", [{"image": photo["obama"], "image_type": "BASE64"},
                          {"image": photo["cat"], "image_type": "BASE64"}]), 222202)


def test_faceverify_scores_a_live_face_above_a_screen(both, photo):
    live = ok(both("faceverify", [{"image": photo["live"], "image_type": "BASE64"}]))
    screen = ok(both("faceverify", [{"image": photo["screen"], "image_type": "BASE64",
                                     "face_field": "quality"}]))
    threshold = live["thresholds"]["frr_1e-3"]
    assert live["face_liveness"] > threshold > screen["face_liveness"]
    assert "quality" in screen["face_list"][0]
    failed(both("faceverify", [{"image": photo["live"], "image_type": "BASE64"}] * 2), 222208)


# ---- search ----------------------------------------------------------------------------------------

def test_search_finds_the_enrolled_person_only(both, photo, enrolled):
    hit = ok(both("search", photo["obama2"], "BASE64", "staff"))
    assert [(u["user_id"], u["user_info"]) for u in hit["user_list"]] == [("obama", "obama 总统")]
    assert hit["user_list"][0]["score"] > 80
    assert ok(both("search", photo["biden2"], "BASE64", "staff"))["user_list"][0]["user_id"] \
        == "biden"
    failed(both("search", photo["biden2"], "BASE64", "staff", {"user_id": "obama"}), 222207)
    failed(both("search", photo["alex"], "BASE64", "staff"), 222207)
    failed(both("search", photo["obama2"], "BASE64", "nobody"), 223100)
    top = ok(both("search", photo["obama2"], "BASE64", "staff",
                  {"max_user_num": 2, "match_threshold": 0}))["user_list"]
    assert [u["user_id"] for u in top] == ["obama", "biden"] and top[0]["score"] > top[1]["score"]


def test_multi_search_names_both_people_in_the_group_photo(both, photo, enrolled):
    result = ok(both("multiSearch", photo["group"], "BASE64", "staff",
                     {"max_face_num": 5, "match_threshold": 80}))
    assert result["face_num"] == 3
    found = sorted(u["user_id"] for f in result["face_list"] for u in f["user_list"])
    assert found == ["biden", "obama"]


# ---- the face library ------------------------------------------------------------------------------

def test_library_calls(both, photo):
    ok(both("groupAdd", "lib_a"))
    failed(both("groupAdd", "lib_a"), 223101)
    ok(both("groupAdd", "lib_b"))
    first = ok(both("addUser", photo["alex"], "BASE64", "lib_a", "alex"))["face_token"]
    second = ok(both("addUser", photo["obama"], "BASE64", "lib_a", "alex"))["face_token"]
    assert ok(both("getUser", "alex", "lib_a")) == {"user_list": [{"user_info": "",
                                                                   "group_id": "lib_a"}]}
    faces = ok(both("faceGetlist", "alex", "lib_a"))["face_list"]
    assert [f["face_token"] for f in faces] == [first, second]
    ok(both("userCopy", "alex", {"src_group_id": "lib_a", "dst_group_id": "lib_b"}))
    again = both("userCopy", "alex", {"src_group_id": "lib_a", "dst_group_id": "lib_b"})
    assert "already exists in group 'lib_b'" in failed(again, 216100)
    assert again["error_msg"] == "already add"  # Baidu's doc's own example for this case
    assert ok(both("getGroupUsers", "lib_b")) == {"user_id_list": ["alex"]}
    assert {"lib_a", "lib_b"} <= set(ok(both("getGroupList", {"length": 1000}))["group_id_list"])
    assert ok(both("getGroupList", {"start": 0, "length": 1}))["group_id_list"] != []
    assert ok(both("getUser", "alex", "@ALL"))["user_list"] == [
        {"user_info": "", "group_id": "lib_a"}, {"user_info": "", "group_id": "lib_b"}]
    ok(both("faceDelete", "alex", "lib_a", second))
    failed(both("faceDelete", "alex", "lib_a", second), 223106)
    assert [f["face_token"] for f in ok(both("faceGetlist", "alex", "lib_a"))["face_list"]] \
        == [first]
    updated = ok(both("updateUser", photo["alex"], "BASE64", "lib_b", "alex",
                      {"user_info": "musician"}))
    assert updated["face_token"] == first
    assert ok(both("getUser", "alex", "lib_b"))["user_list"][0]["user_info"] == "musician"
    failed(both("updateUser", photo["alex"], "BASE64", "lib_b", "ghost"), 223103)
    ok(both("deleteUser", "lib_a", "alex"))
    failed(both("getUser", "alex", "lib_a"), 223103)
    assert ok(both("getGroupUsers", "lib_a")) == {"user_id_list": []}
    ok(both("groupDelete", "lib_b"))
    failed(both("getGroupUsers", "lib_b"), 223100)
    failed(both("addUser", photo["alex"], "BASE64", "bad group!", "alex"), 222006)


def test_face_getlist_is_identical_through_both_doors_of_one_service(sdk, server, photo):
    service = server[2]
    twin = AipFace(APP_ID, API_KEY, SECRET_KEY, service=service)
    ok(sdk.addUser(photo["biden2"], "BASE64", "twin", "biden"))
    over_http, in_process = sdk.faceGetlist("biden", "twin"), twin.faceGetlist("biden", "twin")
    assert comparable(over_http) == comparable(in_process)
    assert ok(in_process)["face_list"][0]["ctime"][:2] == "20"


# ---- what the SDK does on its own: tokens, offline endpoints, URL images ------------------------

def test_the_sdk_fetches_a_new_token_after_110_and_retries_once(server, photo):
    _, app, _ = server
    client = point_sdk_at(aip.AipFace(APP_ID, API_KEY, SECRET_KEY), server[0].url)
    ok(client.getGroupList())
    issued = app.state.tokens.issued
    old = client._authObj["access_token"]
    app.state.tokens.forget_all()  # what a server restart does
    ok(client.getGroupList())
    assert app.state.tokens.issued == issued + 1 and client._authObj["access_token"] != old
    client._authObj["access_token"] = "24.not-a-token"
    ok(client.detect(photo["obama"], "BASE64"))
    assert app.state.tokens.issued == issued + 2


def test_wrong_keys_get_no_token_and_no_answer(server):
    client = point_sdk_at(aip.AipFace(APP_ID, API_KEY, "not-the-secret"), server[0].url)
    # The token reply has no brain_all_scope, so the SDK signs headers instead; without a
    # token the server answers 110 and the SDK gives up.
    failed(client.getGroupList(), 110)


def test_cloud_only_methods_say_so(both, photo):
    calls = [("personVerify", photo["obama"], "BASE64", "110101199001011234", "name"),
             ("videoSessioncode",), ("facelivenessVerifyV1", "AAAA"),
             ("faceMergeV1", {"image": "x"}, {"image": "y"}),
             ("facePersonIdmatchV3", "110101199001011234", "name"),
             ("faceMingJingMatch", photo["obama"], "BASE64", photo["obama2"], "BASE64"),
             ("faceLandmarkV1", photo["obama"], "BASE64"),
             ("faceCaptureSearch", photo["obama"], "BASE64", "staff"),
             ("report", {"a": 1})]
    for method, *args in calls:
        assert "not available offline" in failed(both(method, *args), 216102), method


def test_url_images_are_refused(both):
    msg = failed(both("detect", "http://127.0.0.1:9/face.jpg", "URL"), 222015)
    assert "offline" in msg
    failed(both("detect", "abc", "IMAGE"), 222015)


# ---- face_field as Baidu's own samples ask for it (docs/compat.md "face_field") ---------------

DETECT_SAMPLE_FIELDS = ("age,beauty,expression,face_shape,gender,glasses,landmark,landmark150,"
                        "quality,eye_status,emotion,face_type,mask,spoofing")


def test_the_documented_detect_sample_returns_faces_and_names_what_was_left_out(both, photo):
    got = ok(both("detect", photo["group"], "BASE64",
                  {"face_field": DETECT_SAMPLE_FIELDS, "max_face_num": 5}))
    assert got["face_num"] == 3
    left_out = got["unsupported_face_field"]
    assert {"age", "beauty", "mask", "spoofing", "landmark150"} <= set(left_out)
    assert "quality" not in left_out and "landmark" not in left_out
    for face in got["face_list"]:
        assert "quality" in face and "landmark" in face
        assert not set(left_out) & set(face)  # nothing invented for them


def test_the_documented_faceverify_sample_returns_a_liveness_score(both, photo):
    got = ok(both("faceverify", [{"image": photo["live"], "image_type": "BASE64",
                                  "face_field": "age,beauty,spoofing"}]))
    assert got["unsupported_face_field"] == ["age", "beauty", "spoofing"]
    assert got["face_liveness"] > 0.5 and "age" not in got["face_list"][0]


def test_a_name_baidu_does_not_define_is_still_222017(both, photo):
    assert "'bogus'" in failed(both("detect", photo["obama"], "BASE64",
                                    {"face_field": "age,bogus"}), 222017)


def test_strict_face_field_keeps_222017_for_fields_faceedge_does_not_compute(engine, photo,
                                                                             tmp_path):
    strict = AipFace(APP_ID, API_KEY, SECRET_KEY, service=BaiduFaceService(
        engine, library_path=tmp_path / "lib.db", strict_face_field=True))
    reply = strict.detect(photo["obama"], "BASE64", {"face_field": "age,quality"})
    assert "not computed by this engine: age" in failed(reply, 222017)
    fine = strict.detect(photo["obama"], "BASE64", {"face_field": "quality"})
    assert ok(fine)["face_num"] == 1 and "unsupported_face_field" not in fine["result"]


def test_display_corp_image_returns_each_faces_crop_as_a_jpeg(both, photo):
    import cv2
    import numpy as np

    got = ok(both("detect", photo["group"], "BASE64",
                  {"display_corp_image": 1, "max_face_num": 5}))
    assert got["face_num"] == 3
    for face in got["face_list"]:
        jpeg = base64.b64decode(face["corp_image_base64"])
        crop = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        loc = face["location"]
        assert abs(crop.shape[1] - loc["width"]) <= 2 and abs(crop.shape[0] - loc["height"]) <= 2
    plain = ok(both("detect", photo["obama"], "BASE64", {"display_corp_image": "0"}))
    assert "corp_image_base64" not in plain["face_list"][0]
    failed(both("detect", photo["obama"], "BASE64", {"display_corp_image": 2}), 216100)
