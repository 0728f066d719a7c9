"""Quality cues on constructed images and on real photos from skimage.data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from skimage import data
from skimage.measure import blur_effect

from engine.analysis.cues import Sharpness, colourfulness, judge_blur, measure_cues, noise_sigma, sharpness
from engine.analysis.faces import Eye, Face, FaceReport
from engine.analysis.photo_measures import MIN_EYE_WIDTH, sharpness_regions

FACE = (170, 60, 260, 170)  # the astronaut's face, in pixels of skimage.data.astronaut()
EYES = (185, 90, 250, 115)


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def _bokeh(image: Image.Image, radius: float = 6) -> Image.Image:
    """Sharp central subject, background thrown out of focus (a shallow depth of field)."""
    w, h = image.size
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((w * 0.3, h * 0.2, w * 0.7, h * 0.8), fill=255)
    return Image.composite(image, image.filter(ImageFilter.GaussianBlur(radius)), mask)


def _blur_inside(image: Image.Image, box, radius: float = 4) -> Image.Image:
    out = image.copy()
    region = image.filter(ImageFilter.GaussianBlur(radius)).crop(box)
    out.paste(region, box[:2])
    return out


# --- exposure, contrast, colour --------------------------------------------------------------

def test_clipping_fractions_and_mean_are_exact():
    pixels = np.full((100, 100, 3), 128, np.uint8)
    pixels[:25] = 255  # 25 % blown
    pixels[25:35] = 0  # 10 % crushed
    pixels[35:40] = (255, 0, 0)  # saturated red: luma 54, neither
    cues = measure_cues(Image.fromarray(pixels)).cues
    assert cues["highlights_clipped"] == 0.25
    assert cues["shadows_clipped"] == 0.10
    expected_mean = (0.25 * 255 + 0.05 * 0.2126 * 255 + 0.60 * 128) / 255
    assert cues["mean_luminance"] == pytest.approx(expected_mean, abs=1e-6)


def test_brightness_stops_track_linear_light():
    def grey(linear: float) -> Image.Image:
        encoded = 1.055 * linear ** (1 / 2.4) - 0.055
        return Image.new("RGB", (16, 16), (round(encoded * 255),) * 3)

    dark, bright = (measure_cues(grey(v)).cues["brightness_stops"] for v in (0.1, 0.4))
    assert bright - dark == pytest.approx(2.0, abs=0.03)


def test_rms_contrast_of_black_and_white_halves_is_one_half():
    pixels = np.zeros((10, 10, 3), np.uint8)
    pixels[:, 5:] = 255
    assert measure_cues(Image.fromarray(pixels)).cues["contrast_rms"] == pytest.approx(0.5)


def test_colourfulness_follows_hasler_suesstrunk():
    assert colourfulness(np.full((8, 8, 3), 90, np.uint8)) == 0.0
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[:4] = (255, 0, 0)
    pixels[4:] = (0, 0, 255)
    # rg = 255 | 0 -> mean 127.5, sd 127.5 ; yb = 127.5 | -255 -> mean -63.75, sd 191.25
    expected = math.hypot(127.5, 191.25) + 0.3 * math.hypot(127.5, -63.75)
    assert colourfulness(pixels) == pytest.approx(expected)
    assert colourfulness(np.asarray(_photo("coffee"))) > colourfulness(np.asarray(_photo("camera")))


# --- noise -----------------------------------------------------------------------------------

def test_noise_estimate_is_right_on_a_flat_field():
    rng = np.random.default_rng(1)
    luma = 128 + rng.normal(0, 8.0, (256, 256))
    assert noise_sigma(luma) == pytest.approx(8.0, rel=0.15)


def test_noise_estimate_rises_with_added_noise_on_a_real_photo():
    base = np.asarray(_photo("astronaut").convert("L"), np.float64)
    rng = np.random.default_rng(2)
    estimates = [noise_sigma(np.clip(base + rng.normal(0, s, base.shape), 0, 255)) for s in (0, 3, 6, 12)]
    assert estimates == sorted(estimates) and estimates[-1] > estimates[0] + 6
    assert estimates[0] < 3  # texture and edges are not mistaken for noise


# --- sharpness and the blur verdict ----------------------------------------------------------

@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_sharp_subject_on_blurred_background_is_not_blurry(name):
    report = measure_cues(_bokeh(_photo(name)))
    assert not report.blurry, report.blur_reason
    assert report.cues["subject_sharpness"] > report.cues["background_sharpness"] + 0.2
    assert "shallow depth of field" in report.blur_reason


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_globally_blurred_photo_is_blurry(name):
    photo = _photo(name)
    assert not measure_cues(photo).blurry
    report = measure_cues(photo.filter(ImageFilter.GaussianBlur(3)))
    assert report.blurry and "soft" in report.blur_reason


def test_sharpness_orders_blur_levels_like_skimage_blur_effect():
    photo = _photo("chelsea")
    levels = [photo.filter(ImageFilter.GaussianBlur(r)) if r else photo for r in (0, 1, 2, 4)]
    ours = [sharpness(np.asarray(p.convert("L"), np.float32)).subject for p in levels]
    reference = [blur_effect(np.asarray(p.convert("L"))) for p in levels]
    assert ours == sorted(ours, reverse=True)
    assert reference == sorted(reference)  # skimage agrees blur grows


def test_face_box_catches_a_soft_face_on_a_sharp_background():
    photo = _blur_inside(_photo("astronaut"), FACE)
    report = measure_cues(photo, faces=[FACE])
    assert report.blurry and report.sharpness_region == "faces"
    assert "focus missed" in report.blur_reason
    sharp = measure_cues(_photo("astronaut"), faces=[FACE])
    assert not sharp.blurry and sharp.blur_reason == "face sharp"


def test_eye_boxes_take_precedence_and_boxes_follow_downscaling():
    big = _photo("astronaut").resize((2048, 2048), Image.Resampling.LANCZOS)  # analysed at 1024
    scale = 4
    eyes = tuple(v * scale for v in EYES)
    soft_eyes = _blur_inside(big, eyes, radius=12)
    report = measure_cues(soft_eyes, faces=[tuple(v * scale for v in FACE)], eyes=[eyes])
    assert report.sharpness_region == "eyes" and report.blurry
    assert report.cues["subject_sharpness"] < measure_cues(big, eyes=[eyes]).cues["subject_sharpness"] - 0.2


def test_report_is_a_flat_dict_for_the_catalog():
    flat = measure_cues(_photo("coffee")).as_dict()
    assert {"blurry", "blur_reason", "noise_sigma", "colourfulness", "subject_sharpness"} <= set(flat)
    assert all(isinstance(v, float) for k, v in flat.items() if k not in ("blurry", "blur_reason", "sharpness_region"))


def test_missed_focus_against_the_background_is_judged_on_eyes_not_on_a_whole_face():
    """Skin is smooth: a face box in focus can read well below a crisp background; eyes cannot."""
    in_focus_face = Sharpness(subject=0.64, background=0.78, sharpest_elsewhere=0.88, region="faces")
    assert judge_blur(in_focus_face) == (False, "face sharp")
    soft_eyes = Sharpness(subject=0.64, background=0.78, sharpest_elsewhere=0.88, region="eyes")
    assert judge_blur(soft_eyes) == (True, "eyes clearly softer than the background: focus missed")
    soft_face = Sharpness(subject=0.30, background=0.78, sharpest_elsewhere=0.88, region="faces")
    assert judge_blur(soft_face) == (True, "face soft while the background is sharp: focus missed")


def test_eyes_too_narrow_to_measure_leave_the_face_to_judge():
    def eye(x0: float, width: float) -> Eye:
        contour = np.array([[x0, 100.0], [x0 + width / 2, 97.0], [x0 + width, 100.0], [x0 + width / 2, 103.0]])
        return Eye(side="right", openness=0.3, closed_probability=0.1, contour=contour)

    def report(*eyes: Eye) -> FaceReport:
        face = Face(box=(80.0, 60.0, 200.0, 180.0), score=0.9, keypoints=np.zeros((6, 2)), eyes=eyes)
        return FaceReport(faces=(face,), prominent=(0,), eyes_closed=False, confidence=0.9)

    faces, eyes = sharpness_regions(report(eye(100, 20), eye(150, MIN_EYE_WIDTH - 1)))
    assert faces == [(80.0, 60.0, 200.0, 180.0)] and len(eyes) == 1 and eyes[0][0] == 100
    assert sharpness_regions(report(eye(100, 5), eye(150, 4)))[1] == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_noise_threshold_is_numpys_quantile_exactly(dtype):
    """The flat-pixel threshold is found bin by bin for speed; it must be np.quantile's answer, bit for bit,
    including ties and values sharing one bin."""
    from engine.analysis.cues import _quantile

    rng = np.random.default_rng(3)
    cases = [rng.gamma(2.0, 6.0, 40_000), rng.integers(0, 9, 5_000).astype(float), np.full(7, 2.5),
             rng.uniform(0, 0.2, 1_001), np.array([0.0]), np.array([3.0, 1.0])]
    for values in cases:
        values = values.astype(dtype)
        for fraction in (0.0, 0.5, 0.9, 1.0):
            assert _quantile(values, fraction) == float(np.quantile(values, fraction)), (values[:5], fraction)
