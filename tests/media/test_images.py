from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from app.core.errors import WenyangError
from app.media.images import ImageProblem, decode, scaled_rgb, thumbnail_path, write_thumbnail
from app.media.preprocess import Preprocessing, batch, crop_region, to_array
from tests import samples


@pytest.mark.parametrize("suffix,fmt", [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"),
                                        (".bmp", "BMP"), (".tif", "TIFF")])
def test_every_supported_format_decodes_to_rgb(tmp_path, suffix, fmt):
    path = samples.photo(tmp_path / f"p{suffix}", 3, size=(50, 40))
    decoded = decode(path)
    assert decoded.format == fmt
    assert decoded.image.mode == "RGB"
    assert (decoded.width, decoded.height) == (50, 40)
    assert decoded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert decoded.size == path.stat().st_size


def test_16_bit_tiff_is_scaled_not_clipped(tmp_path):
    decoded = decode(samples.tiff_16bit(tmp_path / "deep.tif"))
    arr = np.asarray(decoded.image)
    # the ramp spans 0..59950 of 65535: scaled to 8 bits the top must be near 233, not 255 everywhere
    assert arr.min() == 0
    assert 220 <= arr.max() <= 240
    assert len(np.unique(arr[..., 0])) > 100


def test_multipage_tiff_uses_first_page_and_says_so(tmp_path):
    decoded = decode(samples.tiff_multipage(tmp_path / "pages.tif", pages=3))
    assert "first of 3 pages" in decoded.note
    assert decoded.image.getpixel((5, 5)) == (0, 0, 0)  # page 0 is black, later pages are red


def test_exif_orientation_is_applied(tmp_path):
    decoded = decode(samples.jpeg_rotated(tmp_path / "rot.jpg"))
    assert (decoded.width, decoded.height) == (20, 60)


def test_transparent_png_goes_onto_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(path)
    assert decode(path).image.getpixel((3, 3)) == (255, 255, 255)


@pytest.mark.parametrize("maker,reason", [
    (lambda p: samples.truncated_jpeg(p / "t.jpg"), "truncated"),
    (lambda p: (p / "e.jpg").write_bytes(b"") and p / "e.jpg" or p / "e.jpg", "empty file"),
    (lambda p: (p / "n.jpg").write_text("not a picture") and p / "n.jpg", "not an image"),
    (lambda p: samples.huge_png(p / "h.png"), "decompression bomb"),
])
def test_bad_files_raise_a_reason(tmp_path, maker, reason):
    path = maker(tmp_path)
    with pytest.raises(ImageProblem) as info:
        decode(path)
    assert info.value.reason == reason


def test_unreadable_file_is_reported(tmp_path):
    with pytest.raises(ImageProblem) as info:
        decode(tmp_path / "missing.jpg")
    assert info.value.reason == "unreadable"


def test_thumbnail_is_written_once_and_bounded(tmp_path):
    decoded = decode(samples.photo(tmp_path / "big.png", 4, size=(600, 300)))
    dest = thumbnail_path(tmp_path / "thumbs", decoded.sha256)
    write_thumbnail(decoded.image, dest)
    with Image.open(dest) as thumb:
        assert max(thumb.size) == 256 and thumb.size[0] == 2 * thumb.size[1]
    first = dest.stat().st_mtime_ns
    write_thumbnail(decoded.image, dest)
    assert dest.stat().st_mtime_ns == first
    assert not list(dest.parent.glob("*.part"))


def test_preprocessing_shape_and_normalisation():
    prep = Preprocessing(size=32)
    img = Image.new("RGB", (80, 40), (124, 116, 104))  # ≈ ImageNet mean colour
    arr = to_array(img, prep)
    assert arr.shape == (3, 32, 32) and arr.dtype == np.float32
    assert np.abs(arr).max() < 0.05
    assert batch([img, img], prep).shape == (2, 3, 32, 32)


def test_crop_region_clips_and_rejects_outside():
    img = Image.new("RGB", (100, 50))
    assert crop_region(img, (90, 40, 50, 50)).size == (10, 10)
    with pytest.raises(WenyangError, match="outside"):
        crop_region(img, (200, 10, 5, 5))
    with pytest.raises(WenyangError, match="too small"):
        crop_region(img, (10, 10, 0, 5))
    with pytest.raises(WenyangError, match="outside"):
        crop_region(Image.new("RGB", (1, 1)), (0, 0, 5, 5))


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("WEBP", ".webp")])
def test_an_animated_image_comes_in_as_its_first_frame_with_a_note(tmp_path, fmt, suffix):
    from app.media.images import decode

    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "green", "blue")]
    path = tmp_path / f"anim{suffix}"
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode(path)
    assert decoded.note == f"animated {fmt}: first of 3 frames used"
    assert decoded.image.getpixel((5, 5))[0] > 200  # the first frame, red


def test_export_names_never_use_names_windows_reserves():
    from app.exchange.common import safe_name

    assert safe_name("CON") == "_CON" and safe_name("aux.json") == "_aux.json"
    assert safe_name("com1") == "_com1" and safe_name("CONSOLE-1") == "CONSOLE-1"


def test_a_scaled_photo_fits_keeps_its_aspect_and_its_orientation(tmp_path):
    big = samples.photo(tmp_path / "big.jpg", 1, size=(1600, 1200), fmt="JPEG")
    small = scaled_rgb(big, 64)
    assert small.mode == "RGB" and small.size == (64, 48)
    assert scaled_rgb(samples.jpeg_rotated(tmp_path / "rot.jpg"), 30).size == (10, 30)  # turned upright
    assert scaled_rgb(big, 4000).size == (1600, 1200)  # never enlarged


@pytest.mark.parametrize("maker,reason", [
    (lambda p: (p / "n.jpg").write_text("not a picture") and p / "n.jpg", "not an image"),
    (lambda p: samples.huge_png(p / "h.png"), "decompression bomb"),
    (lambda p: p / "missing.jpg", "unreadable"),
])
def test_a_photo_that_cannot_be_scaled_says_why(tmp_path, maker, reason):
    with pytest.raises(ImageProblem) as info:
        scaled_rgb(maker(tmp_path), 64)
    assert info.value.reason == reason
