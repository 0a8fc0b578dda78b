"""faceedge enroll / search / verify / library on real photos: per-photo failures, exit codes,
the progress line, re-runs that skip, and interrupted runs that keep what they enrolled."""
import json
import shutil

import pytest

from faceedge.cli import main
from faceedge.library import FaceLibrary


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def photos(tmp_path, testdata_dir):
    """photos/<user_id>/*.jpg: obama (1 photo), biden (2), and a folder whose photo has no face.
    obama_2.jpg stays out: it is the probe of search and verify."""
    faces = testdata_dir / "faces"
    layout = {"obama": [faces / "obama_1.jpg"],
              "biden": [faces / "biden_1.jpg", faces / "biden_2.jpg"],
              "nobody": [testdata_dir / "noface" / "rocket.jpg"]}
    for user, files in layout.items():
        (tmp_path / "photos" / user).mkdir(parents=True)
        for f in files:
            shutil.copy(f, tmp_path / "photos" / user / f.name)
    return tmp_path / "photos"


@pytest.fixture
def lib_path(tmp_path):
    return tmp_path / "lib.db"


def enroll(capsys, models_dir, lib_path, *argv):
    return run(capsys, "enroll", "--library", lib_path, "--group", "staff", "--models", models_dir,
               *argv)


def library_info(capsys, models_dir, lib_path):
    code, out, _ = run(capsys, "library", "info", "--library", lib_path, "--models", models_dir,
                       "--json")
    assert code == 0
    return json.loads(out)


@pytest.fixture
def enrolled(capsys, models_dir, lib_path, photos):
    code, _, _ = enroll(capsys, models_dir, lib_path, photos)
    assert code == 4
    return lib_path


def test_enroll_reports_the_photo_without_a_face_and_goes_on(capsys, models_dir, lib_path, photos):
    code, out, err = enroll(capsys, models_dir, lib_path, photos, "--json")
    report = json.loads(out)
    assert code == 4  # partial success
    assert (report["enrolled"], report["skipped"], report["failed"]) == (3, 0, 1)
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert [(r["user_id"], r["error_code"]) for r in failed] == [("nobody", 222202)]
    # The no-face photo sorts between biden and obama: the run went on past it.
    assert {r["user_id"] for r in report["results"] if r["status"] == "enrolled"} == {"obama", "biden"}
    # Not a terminal: one summary line of the progress bar on stderr.
    summary = [line for line in err.splitlines() if line.startswith("enrolling")]
    assert len(summary) == 1 and "4/4" in summary[0] and "1 failed" in summary[0]
    info = library_info(capsys, models_dir, lib_path)
    assert (info["groups"], info["users"], info["faces"]) == (1, 2, 3)


def test_enroll_table_lists_the_failures(capsys, models_dir, lib_path, photos):
    code, out, _ = enroll(capsys, models_dir, lib_path, photos)
    lines = out.strip().splitlines()
    assert code == 4 and lines[0].split()[:3] == ["file", "user_id", "error_code"]
    assert "rocket.jpg" in lines[1] and "222202" in lines[1]
    assert lines[-1].startswith("3 enrolled, 0 already enrolled, 1 failed of 4 photos (2 users)")


def test_rerun_skips_what_is_enrolled(capsys, models_dir, enrolled, photos):
    code, out, _ = enroll(capsys, models_dir, enrolled, photos, "--json")
    report = json.loads(out)
    assert code == 4 and (report["enrolled"], report["skipped"], report["failed"]) == (0, 3, 1)
    assert library_info(capsys, models_dir, enrolled)["faces"] == 3
    # Without the journal the library itself refuses the same face twice (223105): still skipped.
    code, out, _ = enroll(capsys, models_dir, enrolled, photos / "biden", "--no-skip-existing",
                          "--json")
    report = json.loads(out)
    assert code == 0 and report["skipped"] == 2
    assert {r["error_code"] for r in report["results"]} == {223105}


def test_a_face_deleted_since_is_enrolled_again(capsys, models_dir, enrolled, photos, engine):
    with FaceLibrary(enrolled, engine) as lib:
        token = lib.face_getlist("obama", "staff").face_list[0].face_token
        lib.face_delete("obama", "staff", token)
    code, out, _ = enroll(capsys, models_dir, enrolled, photos / "obama", "--json")
    report = json.loads(out)
    assert code == 0 and report["enrolled"] == 1 and report["results"][0]["face_token"] == token


def test_interrupted_enrolment_keeps_what_it_enrolled(capsys, models_dir, lib_path, photos,
                                                      monkeypatch):
    real_add_user = FaceLibrary.add_user
    calls = []

    def add_user_then_ctrl_c(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_add_user(self, *args, **kwargs)

    monkeypatch.setattr(FaceLibrary, "add_user", add_user_then_ctrl_c)
    code, out, err = enroll(capsys, models_dir, lib_path, photos, "--json")
    report = json.loads(out)
    assert code == 130 and report["stopped"] == "interrupted"
    assert report["enrolled"] == 2 and report["not_attempted"] == 2
    assert "interrupted" in err
    monkeypatch.setattr(FaceLibrary, "add_user", real_add_user)
    assert library_info(capsys, models_dir, lib_path)["faces"] == 2
    code, out, _ = enroll(capsys, models_dir, lib_path, photos, "--json")
    report = json.loads(out)
    assert code == 4 and (report["enrolled"], report["skipped"], report["failed"]) == (1, 2, 1)


def test_enroll_exit_codes_none_enrolled_and_bad_parameters(capsys, models_dir, lib_path, photos,
                                                            tmp_path):
    code, out, _ = enroll(capsys, models_dir, lib_path, photos / "nobody", "--json")
    assert code == 1 and json.loads(out)["failed"] == 1
    # Bad options fail before any model loads: --models names an empty folder, yet exit 2.
    empty = tmp_path / "no_models"
    empty.mkdir()
    for group, extra, code_expected in (("sta ff", (), 222006), ("staff", ("--action", "MERGE"), 229014),
                                        ("staff", ("--quality-control", "HUGE"), 222019)):
        code, _, err = run(capsys, "enroll", "--library", lib_path, "--models", empty,
                           "--group", group, photos, *extra)
        assert code == 2 and json.loads(err)["error_code"] == code_expected
    code, _, err = enroll(capsys, empty, lib_path, tmp_path / "missing_folder")
    assert code == 2 and json.loads(err)["error_code"] == 229014


def test_enroll_one_user_with_replace(capsys, models_dir, enrolled, testdata_dir):
    probe = testdata_dir / "faces" / "obama_2.jpg"
    code, out, _ = enroll(capsys, models_dir, enrolled, probe, "--user", "obama", "--action",
                          "REPLACE", "--user-info", "Barack", "--json")
    assert code == 0 and json.loads(out)["enrolled"] == 1
    code, out, _ = run(capsys, "library", "users", "--library", enrolled, "--group", "staff",
                       "--models", models_dir, "--json")
    users = {u["user_id"]: u for u in json.loads(out)["user_list"]}
    assert users["obama"]["faces"] == 1 and users["obama"]["user_info"] == "Barack"
    assert users["biden"]["faces"] == 2


def test_search_finds_obama(capsys, models_dir, enrolled, testdata_dir):
    probe = testdata_dir / "faces" / "obama_2.jpg"  # not one of the enrolled photos
    code, out, _ = run(capsys, "search", "--library", enrolled, "--group", "staff", probe,
                       "--max-user-num", "2", "--match-threshold", "0", "--models", models_dir,
                       "--json")
    users = json.loads(out)["user_list"]
    assert code == 0 and [u["user_id"] for u in users] == ["obama", "biden"]
    assert users[0]["score"] > 80 > users[1]["score"]
    code, out, _ = run(capsys, "search", "--library", enrolled, "--group", "staff", probe,
                       "--models", models_dir)
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].split()[:4] == ["rank", "user_id", "group_id", "score"]
    assert lines[1].split()[1] == "obama" and len(lines) == 2
    code, _, err = run(capsys, "search", "--library", enrolled, "--group", "staff",
                       testdata_dir / "faces" / "tom_hanks_aligned_112.png", "--models", models_dir)
    assert code == 1 and json.loads(err)["error_code"] == 222207


def test_multi_search_names_each_face_of_a_group_photo(capsys, models_dir, enrolled, testdata_dir):
    photo = testdata_dir / "groups" / "obama_and_biden.jpg"
    code, out, _ = run(capsys, "search", "--library", enrolled, "--group", "staff", photo,
                       "--multi", "--models", models_dir, "--json")
    result = json.loads(out)
    found = [f["user_list"][0]["user_id"] for f in result["face_list"] if f["user_list"]]
    assert code == 0 and sorted(found) == ["biden", "obama"]
    code, out, _ = run(capsys, "search", "--library", enrolled, "--group", "staff", photo,
                       "--max-face-num", "1", "--models", models_dir, "--json")
    assert code == 0 and json.loads(out)["face_num"] == 1
    code, _, err = run(capsys, "search", "--library", enrolled, "--group", "staff", photo,
                       "--multi", "--user", "obama", "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 229014


def test_verify_exit_code_says_whether_the_person_matches(capsys, models_dir, enrolled,
                                                          testdata_dir):
    probe = testdata_dir / "faces" / "obama_2.jpg"
    base = ("verify", "--library", enrolled, "--group", "staff", "--models", models_dir, probe)
    code, out, _ = run(capsys, *base, "--user", "obama", "--json")
    result = json.loads(out)
    assert code == 0 and result["passed"] is True and result["score"] >= result["threshold"] == 80
    code, out, _ = run(capsys, *base, "--user", "biden", "--json")
    result = json.loads(out)
    assert code == 1 and result["passed"] is False and result["score"] < 80
    code, out, _ = run(capsys, *base, "--user", "biden")
    assert code == 1 and "FAILED" in out
    code, _, err = run(capsys, *base, "--user", "nobody")
    assert code == 1 and json.loads(err)["error_code"] == 223103


def test_library_listing_and_missing_library(capsys, models_dir, enrolled, tmp_path):
    code, out, _ = run(capsys, "library", "groups", "--library", enrolled, "--models", models_dir,
                       "--json")
    assert code == 0 and json.loads(out) == {"group_id_list": ["staff"]}
    code, out, _ = run(capsys, "library", "users", "--library", enrolled, "--group", "staff",
                       "--models", models_dir)
    assert code == 0 and out.split()[:3] == ["user_id", "faces", "user_info"]
    assert {line.split()[0] for line in out.strip().splitlines()[1:]} == {"obama", "biden"}
    code, _, err = run(capsys, "library", "info", "--library", tmp_path / "typo.db",
                       "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 229014
    assert not (tmp_path / "typo.db").exists()
