"""faceedge.images: every accepted input kind, EXIF orientation, and each refused input's code."""
import base64
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceedge import images
from faceedge.errors import FaceEdgeError, ImageError, InvalidParameterError
from faceedge.images import is_face_token, load_image, read_image_header


def code_of(fn, *args, **kwargs):
    with pytest.raises(FaceEdgeError) as info:
        fn(*args, **kwargs)
    return info.value


def encode(ext, image, params=()):
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok
    return buf.tobytes()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_header(width, height):
    """A small, well-formed-looking PNG whose IHDR declares width x height."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def photo(testdata_dir):
    return testdata_dir / "faces" / "obama_1.jpg"


@pytest.fixture(scope="module")
def photo_bgr(photo):
    return cv2.imread(str(photo), cv2.IMREAD_COLOR)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)


# ---- accepted inputs ---------------------------------------------------------------------------

def test_numpy_bgr_is_used_as_is(photo_bgr):
    out = load_image(photo_bgr)
    assert out.dtype == np.uint8 and out.shape == photo_bgr.shape and out.flags.c_contiguous
    assert np.array_equal(out, photo_bgr)


def test_numpy_non_contiguous_becomes_contiguous(photo_bgr):
    view = photo_bgr[::2, ::2]
    out = load_image(view)
    assert out.flags.c_contiguous and np.array_equal(out, view)


def test_numpy_grey_and_bgra_are_converted(synthetic):
    grey = synthetic[:, :, 0].copy()
    for arr in (grey, grey[:, :, None]):
        out = load_image(arr)
        assert out.shape == (60, 80, 3)
        assert np.array_equal(out[:, :, 0], grey) and np.array_equal(out[:, :, 2], grey)
    bgra = np.dstack([synthetic, np.full((60, 80), 7, np.uint8)])
    out = load_image(bgra)
    assert out.shape == (60, 80, 3) and np.array_equal(out, synthetic)


def test_path_str_and_pathlib(photo, photo_bgr):
    assert np.array_equal(load_image(str(photo)), photo_bgr)
    assert np.array_equal(load_image(Path(photo)), photo_bgr)


def test_bytes_bytearray_memoryview(photo, photo_bgr):
    data = photo.read_bytes()
    for value in (data, bytearray(data), memoryview(data)):
        assert np.array_equal(load_image(value), photo_bgr)


def test_base64_forms(photo, photo_bgr):
    data = photo.read_bytes()
    text = base64.b64encode(data).decode()
    wrapped = "\n".join(text[i:i + 76] for i in range(0, len(text), 76))  # MIME line breaks
    urlsafe = base64.urlsafe_b64encode(data).decode().rstrip("=")
    for value in (text, wrapped, urlsafe, "data:image/jpeg;base64," + text):
        assert np.array_equal(load_image(value), photo_bgr)
    assert np.array_equal(load_image(text, image_type="BASE64"), photo_bgr)
    assert np.array_equal(load_image(text.encode(), image_type="base64"), photo_bgr)


def test_rgba_png_loads_as_bgr(testdata_dir):
    out = load_image(testdata_dir / "faces" / "alex_lacamoire_2.png")
    assert out.shape == (394, 424, 3)


@pytest.mark.parametrize("name", ["live_T1.jpg", "spoof_F1_print.jpg", "spoof_F2_screen.jpg"])
def test_exif_orientation_6_comes_out_upright(testdata_dir, name):
    path = testdata_dir / "liveness" / name
    out = load_image(path)
    assert out.shape == (640, 480, 3)  # 480 wide, 640 tall
    stored = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    assert stored.shape == (480, 640, 3)
    # Orientation 6: the stored pixels must be turned 90 degrees clockwise.
    assert np.array_equal(out, cv2.rotate(stored, cv2.ROTATE_90_CLOCKWISE))


@pytest.mark.parametrize("ext,params", [(".png", ()), (".jpg", ()), (".bmp", ()), (".webp", ()),
                                        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 101)), (".gif", ()),
                                        (".jpg", (cv2.IMWRITE_JPEG_PROGRESSIVE, 1))])
def test_supported_formats_decode_and_declare_their_size(synthetic, ext, params):
    data = encode(ext, synthetic, params)
    header = read_image_header(data)
    assert (header.width, header.height) == (80, 60)
    assert load_image(data).shape == (60, 80, 3)


@pytest.mark.parametrize("rel,size", [("faces/obama_1.jpg", (910, 1137)),
                                      ("large/george_clooney_3061x4600.jpg", (3061, 4600)),
                                      ("faces/lin_manuel_miranda.png", (704, 612))])
def test_header_sizes_of_real_files(testdata_dir, rel, size):
    header = read_image_header((testdata_dir / rel).read_bytes())
    assert (header.width, header.height) == size


# ---- refused inputs: exact codes ---------------------------------------------------------------

@pytest.mark.parametrize("value", [b"", bytearray(), "", "   ", np.zeros((0, 10, 3), np.uint8)])
def test_empty_inputs_are_216200(value):
    err = code_of(load_image, value)
    assert err.error_code == 216200 and isinstance(err, ImageError)


def test_one_pixel_png_is_216202():
    err = code_of(load_image, encode(".png", np.zeros((1, 1, 3), np.uint8)))
    assert err.error_code == 216202 and "width is 1 px" in err.error_msg


@pytest.mark.parametrize("fraction", [0.001, 0.01, 0.3, 0.5, 0.9, 0.999])
def test_truncated_jpeg_is_216201(photo, fraction):
    data = photo.read_bytes()
    err = code_of(load_image, data[:max(4, int(len(data) * fraction))])
    assert err.error_code == 216201


def test_jpeg_without_its_last_two_bytes_is_216201(photo):
    assert code_of(load_image, photo.read_bytes()[:-2]).error_code == 216201


@pytest.mark.parametrize("ext", [".png", ".bmp", ".gif", ".webp"])
def test_truncated_other_formats_are_216201(photo_bgr, ext):
    data = encode(ext, photo_bgr[:300, :300])
    for fraction in (0.2, 0.6, 0.95):
        assert code_of(load_image, data[:int(len(data) * fraction)]).error_code == 216201


def test_random_bytes_are_216201():
    rng = np.random.default_rng(0)
    assert code_of(load_image, rng.bytes(5000)).error_code == 216201


def test_unsupported_format_is_216201(synthetic):
    err = code_of(load_image, encode(".tiff", synthetic))
    assert err.error_code == 216201 and "supported" in err.error_msg


def test_huge_declared_png_is_refused_before_decoding():
    data = png_with_header(100000, 100000)
    assert len(data) < 200
    err = code_of(load_image, data)
    assert err.error_code == 216202 and "100000" in err.error_msg


@pytest.mark.parametrize("width,height,side", [(5000, 100, "width"), (100, 5000, "height"),
                                               (4097, 4097, "width")])
def test_declared_sides_over_baidus_4096_name_the_side(width, height, side):
    err = code_of(load_image, png_with_header(width, height), limits=images.BAIDU_LIMITS)
    assert err.error_code == 216202 and f"{side} is" in err.error_msg and "4096" in err.error_msg


@pytest.mark.parametrize("width,height,side", [(16385, 100, "width"), (100, 16385, "height")])
def test_declared_sides_over_16384_name_the_side(width, height, side):
    err = code_of(load_image, png_with_header(width, height))
    assert err.error_code == 216202 and f"{side} is" in err.error_msg and "16384" in err.error_msg


def test_pixel_budget_is_checked_on_the_header():
    err = code_of(load_image, png_with_header(16384, 8193))  # each side fine, 2**27 + 16384 px
    assert err.error_code == 216202 and "pixel budget" in err.error_msg
    # Exactly the budget passes the size checks (the tiny IDAT then fails to decode).
    assert code_of(load_image, png_with_header(16384, 8192)).error_code == 216201


def test_huge_declared_jpeg_gif_bmp_webp_are_216202(synthetic):
    jpeg = bytearray(encode(".jpg", synthetic))
    sof = next(i for i in range(2, len(jpeg) - 1) if jpeg[i] == 0xFF and jpeg[i + 1] in (0xC0, 0xC2))
    struct.pack_into(">HH", jpeg, sof + 5, 60000, 60000)
    gif = bytearray(encode(".gif", synthetic))
    struct.pack_into("<HH", gif, 6, 65000, 65000)
    bmp = bytearray(encode(".bmp", synthetic))
    struct.pack_into("<ii", bmp, 18, 90000, 90000)
    webp = bytearray(encode(".webp", synthetic, (cv2.IMWRITE_WEBP_QUALITY, 101)))  # VP8L
    bits = (16000 - 1) | ((16000 - 1) << 14)
    struct.pack_into("<I", webp, 21, bits)
    for data in (jpeg, gif, bmp, webp):
        assert code_of(load_image, bytes(data)).error_code == 216202


def test_wide_image_5000_px_is_216202_under_baidus_limits_only():
    data = encode(".jpg", np.zeros((100, 5000, 3), np.uint8))
    err = code_of(load_image, data, limits=images.BAIDU_LIMITS)
    assert err.error_code == 216202 and "width is 5000 px" in err.error_msg
    assert load_image(data).shape == (100, 5000, 3)
    assert load_image(images.LimitedImage(data, images.NATIVE_LIMITS)).shape == (100, 5000, 3)
    wrapped = images.LimitedImage(data, images.BAIDU_LIMITS)
    assert code_of(load_image, wrapped).error_code == 216202  # the wrapper's limits win


def test_short_image_is_216202_naming_height():
    err = code_of(load_image, encode(".png", np.zeros((20, 200, 3), np.uint8)))
    assert err.error_code == 216202 and "height is 20 px" in err.error_msg


def test_arrays_out_of_limits_are_216202():
    assert code_of(load_image, np.zeros((10, 100, 3), np.uint8)).error_code == 216202
    assert code_of(load_image, np.zeros((100, 16385), np.uint8)).error_code == 216202
    assert code_of(load_image, np.zeros((100, 4100), np.uint8),
                   limits=images.BAIDU_LIMITS).error_code == 216202
    assert load_image(np.zeros((100, 4100), np.uint8)).shape == (100, 4100, 3)


def test_over_10mb_bytes_is_216202_without_decoding_under_baidus_limits():
    data = b"\xff\xd8\xff" + bytes(10 * 1024 * 1024)
    err = code_of(load_image, data, limits=images.BAIDU_LIMITS)
    assert err.error_code == 216202 and f"{len(data)} bytes" in err.error_msg and "10 MB" in err.error_msg
    assert code_of(load_image, data).error_code == 216201  # in the native limit: not a JPEG


def test_over_10mb_file_is_216202_under_baidus_limits(tmp_path):
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:
        f.truncate(11 * 1024 * 1024)  # sparse: nothing to read
    assert code_of(load_image, big, limits=images.BAIDU_LIMITS).error_code == 216202


def test_over_128mb_file_is_216202_without_reading_it(tmp_path):
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:
        f.truncate(images.NATIVE_LIMITS.max_encoded_bytes + 1)  # sparse: nothing to read
    err = code_of(load_image, big)
    assert err.error_code == 216202 and "128 MB" in err.error_msg


def test_over_10mb_base64_is_216202_under_baidus_limits():
    text = base64.b64encode(b"\xff\xd8\xff" + bytes(10 * 1024 * 1024)).decode()
    assert code_of(load_image, text, limits=images.BAIDU_LIMITS).error_code == 216202


@pytest.mark.parametrize("array", [np.zeros((50, 50, 3), np.float32), np.zeros((50, 50, 3), np.uint16),
                                   np.zeros((50, 50, 3), bool), np.zeros((50, 50), np.int64)])
def test_wrong_dtype_arrays_are_222013(array):
    err = code_of(load_image, array)
    assert err.error_code == 222013 and str(array.dtype) in err.error_msg
    assert isinstance(err, InvalidParameterError) and isinstance(err, ValueError)


@pytest.mark.parametrize("shape", [(50, 50, 2), (50, 50, 5), (2, 50, 50, 3), (50,)])
def test_wrong_shape_arrays_are_222013(shape):
    err = code_of(load_image, np.zeros(shape, np.uint8))
    assert err.error_code == 222013 and str(shape) in err.error_msg


@pytest.mark.parametrize("value", ["not an image at all!", "/no/such/dir/photo.jpg", "photo.jpg"])
def test_strings_that_are_no_image_are_222013(value):
    assert code_of(load_image, value).error_code == 222013


def test_missing_pathlib_file_and_directory_are_222013(tmp_path):
    assert code_of(load_image, tmp_path / "missing.jpg").error_code == 222013
    assert code_of(load_image, tmp_path).error_code == 222013


def test_text_file_is_216201(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello")
    assert code_of(load_image, path).error_code == 216201


def test_invalid_base64_with_image_type_is_222013():
    assert code_of(load_image, "@@@not base64@@@", image_type="BASE64").error_code == 222013


def test_base64_of_non_image_is_216201():
    assert code_of(load_image, base64.b64encode(b"just some text here").decode()).error_code == 216201


def test_urls_are_refused_offline():
    err = code_of(load_image, "https://example.com/face.jpg")
    assert err.error_code == 222013 and "offline" in err.error_msg
    err = code_of(load_image, "face.jpg", image_type="URL")
    assert err.error_code == 222015 and "offline" in err.error_msg


def test_bad_image_type_is_222015(photo):
    assert code_of(load_image, str(photo), image_type="JPEG").error_code == 222015
    assert code_of(load_image, str(photo), image_type=3).error_code == 222015


def test_other_types_are_refused():
    assert code_of(load_image, None).error_code == 222001
    assert code_of(load_image, 12345).error_code == 222013
    assert code_of(load_image, np.zeros((50, 50, 3), np.uint8), image_type="BASE64").error_code == 222013


# ---- face tokens -------------------------------------------------------------------------------

def test_face_token_detection(tmp_path, monkeypatch):
    token = "0123456789abcdef0123456789abcdef"
    assert is_face_token(token)
    assert is_face_token(token.upper(), "FACE_TOKEN")
    assert not is_face_token(token, "BASE64")
    assert not is_face_token("0123", None)
    assert not is_face_token(np.zeros((2, 2)), None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / token).write_bytes(b"x")  # an existing file of that name is a path, not a token
    assert not is_face_token(token)
    assert code_of(is_face_token, "xyz", "FACE_TOKEN").error_code == 222025
    # load_image never decodes a token
    assert code_of(load_image, "f" * 32).error_code == 222013
    assert code_of(load_image, "f" * 32, image_type="FACE_TOKEN").error_code == 222015


def test_limits_native_and_baidus():
    baidu, native = images.BAIDU_LIMITS, images.NATIVE_LIMITS
    assert baidu.max_encoded_bytes == 10 * 1024 * 1024
    assert (baidu.min_side, baidu.max_side, baidu.max_pixels) == (24, 4096, 4096 * 4096)
    assert (native.min_side, native.max_side) == (24, 16384)
    assert native.max_pixels >= 100_000_000 and native.max_encoded_bytes >= 64 * 1024 * 1024
    for bad in ({"max_side": 0}, {"max_pixels": 1.5}, {"min_side": 5000}):
        kwargs = {"max_side": 4096, "max_pixels": 100, "max_encoded_bytes": 100, **bad}
        assert code_of(images.ImageLimits, **kwargs).error_code == 229014
