"""Baidu's error codes and texts, from one place: every code faceedge can put in a Baidu reply
has Baidu's exact ``error_msg`` (clients compare it), and the detail travels in
``error_detail``.

Source: Baidu AI face v3 "错误码" (https://cloud.baidu.com/doc/FACE/s/5k37c1ujz, updated
2020-12-15; a copy of the same table at http://ws.it0355.com/a/202006/11/a27007.htm). CONFIRMED
lists the rows read there in this session's search excerpts; the other rows were taken from the
same table when the compatibility layer was written and could not be re-read here (only excerpts
of the page are reachable): docs/compat.md says so.
"""
import pytest

from faceedge.compat import AipFace
from faceedge.errors import CODES, error

from baidu_replies import full_message

DOC_TABLE = {
    3: "Unsupported openapi method",
    110: "Access token invalid or no longer valid",
    111: "Access token expired",
    216100: "invalid param",
    216102: "service not support",
    216103: "param too long",
    216200: "empty image",
    216201: "image format error",
    216202: "image size error",
    222001: "param[] is null",
    222002: "param[start] format error",
    222003: "param[length] format error",
    222005: "param[group_id_list] format error",
    222006: "group_id format error",
    222007: "uid format error",
    222010: "user_info format error",
    222013: "param[image] format error",
    222015: "param[image_type] format error",
    222016: "param[max_face_num] format error",
    222017: "param[face_field] format error",
    222019: "param[quality_control] format error",
    222020: "param[liveness_control] format error",
    222021: "param[max_user_num] format error",
    222024: "param[face_type] format error",
    222025: "param[face_token] format error",
    222030: "param[match_threshold] format error",
    222202: "pic not has face",
    222204: "image_url_download_fail",
    222207: "match user is not found",
    222208: "the number of image is incorrect",
    222209: "face token not exist",
    222210: "the number of user's faces is beyond the limit",
    222213: "face size is too small",
    222302: "system error",
    223100: "group is not exist",
    223101: "group is already exist",
    223102: "user is already exist",
    223103: "user is not exist",
    223104: "group_list is too large",
    223105: "face is already exist",
    223106: "face is not exist",
    223111: "dst group is not exist",
    223114: "face is fuzzy",
    223115: "face light is not good",
    223116: "incomplete face",
    223120: "liveness check fail",
    223129: "face not forward",
}
CONFIRMED = {110, 111, 222001, 222002, 222003, 222005, 222006, 222007, 222010, 222013, 222015,
             222016, 222017, 222019, 222020, 222021}


def test_every_baidu_code_faceedge_uses_has_the_tables_text():
    baidu_codes = {code for code in CODES if not 229000 <= code < 230000}
    assert baidu_codes == set(DOC_TABLE)
    for code in baidu_codes:
        assert CODES[code][1] == DOC_TABLE[code], code


@pytest.mark.parametrize("code", sorted(DOC_TABLE))
def test_a_failure_reply_says_baidus_text_and_keeps_the_detail_apart(code):
    from faceedge.compat.envelope import failure

    reply = failure(error(code, "what exactly went wrong"))
    assert reply["error_code"] == code and reply["error_msg"] == DOC_TABLE[code]
    assert reply["error_detail"] == "what exactly went wrong"
    bare = failure(error(code))
    assert bare["error_msg"] == DOC_TABLE[code] and "error_detail" not in bare


def test_the_drop_in_client_replies_with_exact_texts(engine, tmp_path, testdata_dir):
    client = AipFace("app", "key", "secret", engine=engine, library=tmp_path / "lib.db")
    missing = client.detect("", "BASE64")
    assert missing["error_code"] == 222001 and missing["error_msg"] == "param[] is null"
    assert "image" in full_message(missing)
    none = client.getUser("nobody", "nogroup")
    assert none["error_code"] == 223100 and none["error_msg"] == "group is not exist"
    assert "nogroup" in none["error_detail"]
