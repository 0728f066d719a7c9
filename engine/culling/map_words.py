"""What the photographer reads about where a photo loses image quality (the loupe's overlay, the reasons).

The overlay and the region reason come from the technical score's map
(:mod:`engine.analysis.quality_map`); the words here never say "map", "model output" or a
number from one. The map is of the *image quality* score: when photos are sorted by another
scorer (an aesthetic model, such as an installed TANet or EAT), the app says plainly that it
has no picture of where *that* score comes from (:func:`no_sort_map_message`).

**Region reason** (:func:`region_reason`): only for a photo with a technical weakness, and
only when the map's :attr:`~engine.analysis.quality_map.QualityMap.weakest` quadrant is singled out:

* flagged soft or blurred by the cues → "soft in the upper left";
* else visible grain, a noise estimate of at least :data:`NOISY_SIGMA` levels → "noisy in the …";
* else an image quality score (0..100) of at most :data:`WEAK_QUALITY` → "weakest in the …".
"""

from __future__ import annotations

from engine.analysis.quality_map import QualityMap
from engine.inference.template_fill import available_templates, load_template

#: The overlay's legend, two lines.
LEGEND_TITLE = "Where this photo loses image quality"
LEGEND_LINE = "red: softer, noisier or damaged here — the deeper the red, the worse"
#: Noise estimate (8-bit levels, :func:`engine.analysis.cues.noise_sigma`) read as visible grain.
NOISY_SIGMA = 3.0
#: An image quality score (0..100) this low is a weakness worth placing.
WEAK_QUALITY = 30.0


def region_reason(quality_map: QualityMap | None, *, soft: bool = False, noise_sigma: float | None = None,
                  quality: float | None = None) -> str | None:
    """Where the photo's technical weakness is, in a few words (module docstring), or None."""
    if quality_map is None:
        return None
    if soft:
        what = "soft"
    elif noise_sigma is not None and noise_sigma >= NOISY_SIGMA:
        what = "noisy"
    elif quality is not None and quality <= WEAK_QUALITY:
        what = "weakest"
    else:
        return None
    region = quality_map.weakest
    return f"{what} in the {region}" if region else None


def no_map_message(analysed: bool) -> str:
    """The overlay key's answer for a photo without a map."""
    if not analysed:
        return "This photo has not been analysed yet, so there is no picture of where it loses image quality."
    return "No picture of where this photo loses image quality: its image quality scorer does not give one."


def no_sort_map_message(model: str) -> str:
    """Said when photos are sorted by a scorer whose score has no map (``model``: its catalog name)."""
    return f"No picture of where the score comes from for {model_title(model)}; this shows image quality."


def model_title(name: str) -> str:
    """A model's name for a photographer: an installed research model's title ("TANet (AVA head)"), else its name."""
    if name in available_templates():
        try:
            return load_template(name).title
        except (OSError, ValueError, KeyError):  # a damaged template still leaves the model its name
            return name
    return name


def legend_lines(*, has_map: bool, analysed: bool, score_task: str | None, score_model: str) -> list[str]:
    """What the loupe's overlay says for one photo: the legend, or why there is nothing to show, and a note
    when photos are sorted by a score the overlay does not explain."""
    if not has_map:
        return [no_map_message(analysed)]
    lines = [LEGEND_TITLE, LEGEND_LINE]
    if score_task == "aesthetic" and score_model:
        lines.append(no_sort_map_message(score_model))
    return lines
