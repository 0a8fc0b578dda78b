"""FaceLibrary.multi_search (Baidu M:N): enrol Obama's and Biden's portraits, then find both in
the group photo at their own boxes; the third face (a child) matches no one."""
import pytest

from faceedge import FaceLibrary
from faceedge.errors import InvalidParameterError, NoFaceError, NotFoundError

GROUP_PHOTO = "groups/obama_and_biden.jpg"  # Biden left, Obama centre, a child lower right


def code_of(excinfo):
    return excinfo.value.error_code


@pytest.fixture(scope="module")
def lib(engine, testdata_dir, tmp_path_factory):
    library = FaceLibrary(tmp_path_factory.mktemp("multi") / "lib.db", engine)
    for user, photos in {"obama": ["obama_1.jpg", "obama_2.jpg"],
                         "biden": ["biden_1.jpg", "biden_2.jpg"]}.items():
        for photo in photos:
            library.add_user(testdata_dir / "faces" / photo, "leaders", user)
    library.add_user(testdata_dir / "faces" / "eileen_collins_astronaut.png", "astronauts",
                     "eileen")
    yield library
    library.close()


@pytest.fixture(scope="module")
def group_token(engine, testdata_dir):
    """The group photo's faces, detected once; the largest face's token (cached with its
    embedding) and every face's box, largest first."""
    path = testdata_dir / GROUP_PHOTO
    engine.embed(path, max_face_num=10)
    return engine.detect(path, max_face_num=10)


def test_both_leaders_are_found_at_their_faces_and_the_child_is_no_one(lib, engine, testdata_dir):
    result = lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders", max_face_num=10)
    d = result.to_dict()
    assert set(d) == {"face_num", "face_list", "calibration"}  # calibration: faceedge's
    assert d["face_num"] == len(d["face_list"]) == 3 and d["calibration"]["calibrated"] is True
    for face in d["face_list"]:
        assert set(face) == {"face_token", "location", "user_list"}
    matched = {f.user_list[0].user_id: f for f in result.face_list if f.user_list}
    assert set(matched) == {"obama", "biden"}
    for face in matched.values():
        assert len(face.user_list) == 1 and face.user_list[0].score > 80
        assert face.user_list[0].group_id == "leaders"
    obama, biden = matched["obama"].location, matched["biden"].location
    assert biden.left + biden.width <= obama.left  # Biden stands left of Obama
    for loc in (obama, biden):  # both faces are in the upper half of the 2000x1428 photo
        assert loc.top + loc.height < 1428 / 2 and 100 < loc.width < 400
    (child,) = [f for f in result.face_list if not f.user_list]
    assert child.location.top > max(obama.top, biden.top) + obama.height  # lower in the frame
    # The same boxes and tokens as detect gives, face by face.
    detected = engine.detect(testdata_dir / GROUP_PHOTO, max_face_num=10)
    assert [f.face_token for f in result.face_list] == [f.face_token for f in detected.face_list]
    assert [f.location for f in result.face_list] == [f.location for f in detected.face_list]


def test_max_face_num_takes_the_largest_faces(lib, testdata_dir, group_token):
    result = lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders")  # default 1
    assert result.face_num == 1
    assert result.face_list[0].location == group_token.face_list[0].location
    two = lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders", max_face_num=2)
    assert [f.location for f in two.face_list] == [f.location for f in group_token.face_list[:2]]
    assert {f.user_list[0].user_id for f in two.face_list} == {"obama", "biden"}


def test_max_user_num_and_threshold(lib, testdata_dir):
    result = lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders,astronauts", max_face_num=10,
                              max_user_num=20, match_threshold=0)
    assert result.face_num == 3
    for face in result.face_list:
        assert len(face.user_list) == 3  # every enrolled user, best first
        scores = [u.score for u in face.user_list]
        assert scores == sorted(scores, reverse=True)
    for kw, code in [({"max_face_num": 11}, 222016), ({"max_face_num": 0}, 222016),
                     ({"max_user_num": 21}, 222021), ({"max_user_num": 0}, 222021),
                     ({"match_threshold": 101}, 222030)]:
        with pytest.raises(InvalidParameterError) as err:
            lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders", **kw)
        assert code_of(err) == code


def test_no_match_at_all_is_222207(lib, testdata_dir):
    with pytest.raises(NotFoundError) as err:
        lib.multi_search(testdata_dir / GROUP_PHOTO, "astronauts", max_face_num=10)
    assert code_of(err) == 222207
    with pytest.raises(NotFoundError) as err:
        lib.multi_search(testdata_dir / GROUP_PHOTO, "leaders,nogroup")
    assert code_of(err) == 223100
    with pytest.raises(NoFaceError) as err:
        lib.multi_search(testdata_dir / "noface" / "rocket.jpg", "leaders")
    assert code_of(err) == 222202


def test_a_face_token_is_one_face(lib, group_token):
    result = lib.multi_search(group_token.face_list[0].face_token, "leaders", max_face_num=10,
                              image_type="FACE_TOKEN")
    assert result.face_num == 1 and result.face_list[0].user_list[0].score > 80
