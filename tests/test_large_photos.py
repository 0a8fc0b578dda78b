"""Camera-size photos: 24-Mpx and 16384-px JPEGs made at test time from the real photos are
detected at the same place (in original pixels), embedded alike, enrolled and found; EXIF-rotated
photos stay upright through the reduced decodes; a 30000x30000 PNG header is refused before
anything is allocated; Baidu's doors (compat, serve) keep Baidu's 4096-px limit."""
import base64
import json
import struct
import subprocess
import sys
import textwrap
import zlib

import cv2
import numpy as np
import pytest

from faceedge import FaceLibrary
from faceedge.cli import build_parser
from faceedge.cli.serve import _image_limits
from faceedge.compat import AipFace
from faceedge.decode_plan import FACE_SIDE, find_faces
from faceedge.errors import FaceEdgeError
from faceedge.images import BAIDU_LIMITS, NATIVE_LIMITS, ImageLimits, LimitedImage
from faceedge.photo import open_photo

from baidu_replies import full_message

GEORGE = "large/george_clooney_3061x4600.jpg"
# Measured on the 24-Mpx upscale below: the face box agrees to 2.4 % of its width with the
# original photo's (scaled), the embedding to cosine 0.990 (0.966 with the core's direct warp of
# large faces, see faceedge.decode_plan). The tolerances leave room for other runtime builds.
BOX_TOLERANCE = 0.05   # of the face width
MIN_COSINE = 0.98


def jpeg(image, quality=92):
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def app1_exif(data):
    """The APP1 Exif segment (marker included) of a JPEG, found by walking its segments."""
    i = 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if data[i + 1] == 0xE1 and data[i + 4:i + 10] == b"Exif\x00\x00":
            return data[i:i + 2 + length]
        i += 2 + length
    raise AssertionError("no Exif segment")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.fixture(scope="module")
def george(testdata_dir):
    return testdata_dir / GEORGE


@pytest.fixture(scope="module")
def camera_jpeg(george, tmp_path_factory):
    """The 3061x4600 photo upscaled to 4000x6011 (24 Mpx, a 6000x4000 camera held upright)."""
    image = cv2.resize(cv2.imread(str(george)), (4000, 6011), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("camera") / "camera_24mpx.jpg"
    path.write_bytes(jpeg(image))
    return path


def assert_same_face(big, small, kx, ky):
    """``big`` (a FaceInfo on the enlarged photo) is ``small`` scaled by (kx, ky)."""
    tolerance = BOX_TOLERANCE * small.location.width * kx
    a, b = big.location, small.location
    for got, want in ((a.left, b.left * kx), (a.top, b.top * ky), (a.width, b.width * kx),
                      (a.height, b.height * ky)):
        assert abs(got - want) < tolerance, (a, b, kx, ky)
    for p, q in zip(big.landmark5, small.landmark5):
        assert abs(p.x - q.x * kx) < tolerance and abs(p.y - q.y * ky) < tolerance


# ---- the reduced decodes -------------------------------------------------------------------

def test_reduced_jpeg_decodes_apply_exif_orientation(testdata_dir):
    """live_T1.jpg is stored sideways with an EXIF orientation: every reduction comes upright
    and shows what the full decode shows, shrunk."""
    data = np.fromfile(str(testdata_dir / "liveness" / "live_T1.jpg"), np.uint8)
    stored = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    full = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert stored.shape[:2] == full.shape[1::-1] != full.shape[:2]  # the EXIF really rotates
    photo = open_photo(testdata_dir / "liveness" / "live_T1.jpg")
    for reduction in (2, 4, 8):
        scaled = photo.at(reduction)
        assert (scaled.scale_x, scaled.scale_y) == (reduction, reduction)
        want = cv2.resize(full, scaled.image.shape[1::-1], interpolation=cv2.INTER_AREA)
        upright = np.abs(scaled.image.astype(int) - want).mean()
        turned = np.abs(scaled.image.astype(int) - cv2.rotate(want, cv2.ROTATE_180)).mean()
        assert upright < 4 < 20 < turned, (reduction, upright, turned)


def test_rotated_exif_camera_photo_is_found_upright_in_original_pixels(engine, testdata_dir,
                                                                       tmp_path):
    """A 3840x5120 (upright) camera JPEG stored sideways: the EXIF segment of live_T1.jpg on
    its pixels enlarged 8x. Found where the small photo's face is, times 8, eyes above mouth."""
    source = (testdata_dir / "liveness" / "live_T1.jpg").read_bytes()
    stored = cv2.imdecode(np.frombuffer(source, np.uint8),
                          cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    exif = app1_exif(source)
    big = jpeg(cv2.resize(stored, None, fx=8, fy=8, interpolation=cv2.INTER_CUBIC))
    path = tmp_path / "rotated.jpg"
    path.write_bytes(big[:2] + exif + big[2:])
    small = engine.detect(testdata_dir / "liveness" / "live_T1.jpg").face_list[0]
    found = engine.detect(path).face_list[0]
    assert_same_face(found, small, 8, 8)
    eyes_y = (found.landmark5[0].y + found.landmark5[1].y) / 2
    mouth_y = (found.landmark5[3].y + found.landmark5[4].y) / 2
    assert mouth_y > eyes_y + 0.2 * found.location.height
    assert find_faces(engine.core, open_photo(path), 1, 0, 0, engine.det_threshold).reductions[0] == 8


# ---- 24 Mpx: detect, embed, enrol, search --------------------------------------------------

def test_24mpx_jpeg_is_decoded_reduced(engine, camera_jpeg):
    found = find_faces(engine.core, open_photo(camera_jpeg), 1, 0, 0, engine.det_threshold)
    assert found.reductions == (8, 8)  # 752 px for the detector; the face still > FACE_SIDE
    assert max(found.image.shape[:2]) == 752 and found.scale_x == found.scale_y == 8
    assert min(found.raw["boxes"][0][2:4]) >= FACE_SIDE


def test_24mpx_jpeg_face_at_the_same_place_in_original_pixels(engine, george, camera_jpeg):
    small = engine.detect(george).face_list[0]
    big = engine.detect(camera_jpeg).face_list[0]
    assert_same_face(big, small, 4000 / 3061, 6011 / 4600)


def test_24mpx_jpeg_embeds_like_the_original(engine, george, camera_jpeg):
    original, big = engine.embed(george)[0], engine.embed(camera_jpeg)[0]
    assert float(original @ big) >= MIN_COSINE
    assert engine.match(george, camera_jpeg).score > 95


def test_24mpx_jpeg_enrols_and_is_found(engine, george, camera_jpeg, testdata_dir, tmp_path):
    with FaceLibrary(tmp_path / "lib.db", engine) as lib:
        lib.add_user(camera_jpeg, "staff", "george", user_info="24 Mpx enrolment")
        lib.add_user(testdata_dir / "faces" / "obama_1.jpg", "staff", "obama")
        hit = lib.search(george, "staff").user_list[0]
        assert hit.user_id == "george" and hit.score > 90
        # and the other way round: enrolled small, searched with the camera photo
        lib.add_user(george, "other", "george")
        assert lib.search(camera_jpeg.read_bytes(), "other").user_list[0].user_id == "george"


def test_24mpx_array_and_base64_give_the_same_face(engine, camera_jpeg):
    from_file = engine.detect(camera_jpeg).face_list[0]
    array = cv2.imread(str(camera_jpeg))
    from_array = engine.detect(array).face_list[0]  # reduced by area, not by libjpeg
    assert_same_face(from_array, from_file, 1, 1)
    text = base64.b64encode(camera_jpeg.read_bytes()).decode()
    assert engine.detect(text).face_list[0].location == from_file.location


def test_sizes_are_in_original_pixels(engine, camera_jpeg):
    """min_face_size and quality.size speak original pixels, whatever was decoded."""
    face = engine.detect(camera_jpeg, face_field="quality").face_list[0]
    shorter = min(face.location.width, face.location.height)
    assert abs(face.quality.size - shorter) < 0.01 * shorter
    assert engine.detect(camera_jpeg, min_face_size=0.9 * shorter).face_num == 1
    with pytest.raises(FaceEdgeError) as err:
        engine.detect(camera_jpeg, min_face_size=1.1 * shorter)
    assert err.value.error_code == 222202


@pytest.mark.parametrize("ext", [".png", ".webp"])
def test_other_formats_are_reduced_by_area_in_original_pixels(engine, george, ext):
    """A 2041x3067 PNG / WebP (no reduced decode: decoded once, then averaged 4x4 blocks)."""
    image = cv2.resize(cv2.imread(str(george)), (2041, 3067), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(ext, image, [cv2.IMWRITE_WEBP_QUALITY, 95] if ext == ".webp" else [])
    assert ok
    found = find_faces(engine.core, open_photo(buf.tobytes()), 1, 0, 0, engine.det_threshold)
    assert found.reductions == (4, 4) and found.scale_x == found.scale_y == 4
    assert_same_face(engine.detect(buf.tobytes()).face_list[0], engine.detect(george).face_list[0],
                     2041 / 3061, 3067 / 4600)


def test_same_photo_same_tokens_whatever_was_decoded_for_the_faces(engine, george,
                                                                   testdata_dir):
    """A 4000x3000 photo with a large face and a small one: the small face needs a second, full
    decode when it is kept (2 faces), not when only the large one is (1 face). The large face's
    token and location are the same either way."""
    canvas = np.full((3000, 4000, 3), 110, np.uint8)
    canvas[:, :1996] = cv2.resize(cv2.imread(str(george)), (1996, 3000),
                                  interpolation=cv2.INTER_AREA)
    small = cv2.imread(str(testdata_dir / "faces" / "obama_1.jpg"))
    canvas[2000:2000 + 569, 3000:3000 + 455] = cv2.resize(small, (455, 569),
                                                         interpolation=cv2.INTER_AREA)
    data = jpeg(canvas)
    assert find_faces(engine.core, open_photo(data), 1, 0, 0, engine.det_threshold).reductions == (4, 4)
    assert find_faces(engine.core, open_photo(data), 2, 0, 0, engine.det_threshold).reductions == (4, 1)
    alone = engine.detect(data, max_face_num=1).face_list[0]
    both = engine.detect(data, max_face_num=2).face_list
    assert len(both) == 2 and both[1].location.width < 200
    assert alone.face_token == both[0].face_token and alone.location == both[0].location
    # the small face, read from the full decode, is where it was pasted (obama_1 at 1/2)
    pasted = engine.detect(small).face_list[0]
    got, want = both[1].location, pasted.location
    tolerance = BOX_TOLERANCE * want.width
    assert abs(got.left - (3000 + want.left / 2)) < tolerance
    assert abs(got.top - (2000 + want.top / 2)) < tolerance
    assert abs(got.width - want.width / 2) < tolerance


def test_cli_detects_a_24mpx_jpeg(capsys, models_dir, camera_jpeg):
    from faceedge.cli import main

    code = main(["detect", str(camera_jpeg), "--models", str(models_dir), "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    location = json.loads(out)["face_list"][0]["location"]
    assert location["width"] > 1000  # original pixels of a 4000-px-wide photo


# ---- 16384 px -----------------------------------------------------------------------------------

def test_16384_px_panorama(engine, george, tmp_path):
    """16384x4096 (67 Mpx): the photo, 4096 px tall, at x = 9000 in a grey strip."""
    face = cv2.resize(cv2.imread(str(george)), (2726, 4096), interpolation=cv2.INTER_AREA)
    canvas = np.full((4096, 16384, 3), 96, np.uint8)
    canvas[:, 9000:9000 + face.shape[1]] = face
    path = tmp_path / "panorama.jpg"
    path.write_bytes(jpeg(canvas, 85))
    del canvas, face
    found = engine.detect(path).face_list[0]
    small = engine.detect(george).face_list[0]
    k = 4096 / 4600
    shifted = found.location.left - 9000
    assert abs(shifted - small.location.left * k) < BOX_TOLERANCE * small.location.width * k
    assert abs(found.location.top - small.location.top * k) < BOX_TOLERANCE * small.location.width
    # The detector sees the whole 16384-px strip at 640 px (as it always has), where this face is
    # 45 px: its landmarks are coarser than on the photo itself. Measured cosine 0.973.
    assert float(engine.embed(path)[0] @ engine.embed(george)[0]) >= 0.95


# ---- limits -------------------------------------------------------------------------------------

BOMB_SCRIPT = textwrap.dedent("""
    import json, resource, struct, sys, tracemalloc, zlib
    from faceedge import FaceEngine, load_image
    from faceedge.errors import FaceEdgeError

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    # A valid signature and IHDR declaring 30000x30000 RGB, and no pixel data at all.
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    bomb = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", ihdr)
    engine = FaceEngine(models=sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    codes = []
    for call in (lambda: engine.detect(bomb), lambda: engine.embed(bomb), lambda: load_image(bomb)):
        try:
            call()
        except FaceEdgeError as exc:
            codes.append([exc.error_code, exc.error_msg])
    peak = tracemalloc.get_traced_memory()[1]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"codes": codes, "traced_peak": peak, "rss_growth_kb": after - before}))
""")


def test_30000_px_png_header_is_refused_before_allocating(models_dir, tmp_path):
    proc = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(models_dir)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [code for code, _ in report["codes"]] == [216202] * 3
    assert all("30000" in msg for _, msg in report["codes"])
    # 30000 x 30000 x 3 bytes would be 2.7 GB; nothing near even 1 % of it was allocated.
    assert report["traced_peak"] < 1_000_000
    assert report["rss_growth_kb"] < 20_000


def test_native_limits_refuse_over_16384_and_the_budget(engine):
    ihdr = lambda w, h: (b"\x89PNG\r\n\x1a\n"  # noqa: E731
                         + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
    for width, height in ((16385, 1000), (1000, 16385), (16384, 16384)):
        with pytest.raises(FaceEdgeError) as err:
            engine.detect(ihdr(width, height))
        assert err.value.error_code == 216202


@pytest.fixture(scope="module")
def wide_5000(george):
    """5000x3000: over Baidu's 4096 px, well inside the native limits."""
    image = cv2.resize(cv2.imread(str(george)), (1996, 3000), interpolation=cv2.INTER_AREA)
    canvas = np.full((3000, 5000, 3), 128, np.uint8)
    canvas[:, 1500:1500 + image.shape[1]] = image
    return jpeg(canvas)


def test_engine_takes_over_4096_but_a_limited_image_does_not(engine, wide_5000):
    assert engine.detect(wide_5000).face_num == 1
    with pytest.raises(FaceEdgeError) as err:
        engine.detect(LimitedImage(wide_5000, BAIDU_LIMITS))
    assert err.value.error_code == 216202 and "4096" in err.value.error_msg


def test_compat_keeps_baidus_limits_and_can_be_opened(engine, wide_5000, tmp_path):
    text = base64.b64encode(wide_5000).decode()
    with AipFace("app", "k", "s", engine=engine, library=tmp_path / "a.db") as client:
        reply = client.detect(text, "BASE64")
        assert reply["error_code"] == 216202 and "4096" in full_message(reply)
        assert client.addUser(text, "BASE64", "g", "u")["error_code"] == 216202
        assert client.match([{"image": text, "image_type": "BASE64"},
                             {"image": text, "image_type": "BASE64"}])["error_code"] == 216202
    with AipFace("app", "k", "s", engine=engine, library=tmp_path / "b.db",
                 image_limits=NATIVE_LIMITS) as client:
        assert client.detect(text, "BASE64")["error_code"] == 0
        assert client.addUser(text, "BASE64", "g", "u")["error_code"] == 0
        assert client.search(text, "BASE64", "g")["result"]["user_list"][0]["user_id"] == "u"


def test_serve_keeps_baidus_limits_unless_told(engine, wide_5000, tmp_path):
    from faceedge.compat import BaiduFaceService
    from faceedge.server import ServerThread, create_app
    import requests

    text = base64.b64encode(wide_5000).decode()
    parser = build_parser()
    base = ["serve", "--library", str(tmp_path / "s.db")]
    assert _image_limits(parser.parse_args(base)) == BAIDU_LIMITS
    opened = _image_limits(parser.parse_args(base + ["--max-image-side", "16384",
                                                     "--max-image-mb", "64"]))
    assert opened == ImageLimits(max_side=16384, max_pixels=NATIVE_LIMITS.max_pixels,
                                 max_encoded_bytes=64 * 1024 * 1024)
    for limits, want in ((BAIDU_LIMITS, 216202), (opened, 0)):
        with BaiduFaceService(engine, library_path=tmp_path / f"{want}.db",
                              image_limits=limits) as service:
            with ServerThread(create_app(service, {"k": "s"})) as server:
                token = requests.get(server.url + "/oauth/2.0/token", params={
                    "grant_type": "client_credentials", "client_id": "k",
                    "client_secret": "s"}, timeout=30).json()["access_token"]
                reply = requests.post(server.url + "/rest/2.0/face/v3/detect",
                                      params={"access_token": token}, timeout=120,
                                      json={"image": text, "image_type": "BASE64"}).json()
        assert reply["error_code"] == want, reply
