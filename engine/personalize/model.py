"""A fitted personal model: the feature space, one weight vector, and what its evaluation said.

Both heads are linear, so whichever won the cross-validation (or their blend) collapses to
one weight vector ``w``: the personal score of a photo is ``features(photo) · w``.
``temperature`` turns score differences into calibrated win probabilities,
``P(a beats b) = sigmoid(temperature * (s(a) - s(b)))``, fitted on the user's pairs.

On disk it is one ``.npz`` file (arrays only, loaded with ``allow_pickle=False`` so an
imported file can never run code) with a JSON ``meta`` entry; :data:`FORMAT` names the layout.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

import numpy as np

from engine.personalize.features import FLAG_GAP, FeatureSpace, RawFeatures
from engine.personalize.heads import personal_score, win_probability

FORMAT = "photocull.personal/1"


class PersonalModelError(Exception):
    """A personal model file that cannot be used (not ours, damaged, or from a newer format)."""


@dataclass(frozen=True)
class PersonalModel:
    space: FeatureSpace
    weights: np.ndarray
    temperature: float
    head: str                  # pointwise | pairwise | blend
    active: bool               # False: evaluated and found not better than the generic score
    report: dict = field(default_factory=dict)  # PersonalizeReport.as_dict() of the run that made it
    created_at: float = 0.0
    #: Fixed weights of the technical-defect term (:meth:`FeatureSpace.defect_term`); empty: none.
    defects: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Range the taste part is squashed into (:data:`engine.personalize.features.TASTE_CAP`); 0: not squashed.
    cap: float = 0.0

    def scores(self, raw: RawFeatures) -> np.ndarray:
        """Raw personal scores of ``raw``'s photos (higher = more to the user's taste, defects always down):
        inside a burst, a blurred or closed-eyes frame below the group's clean frames (:func:`clean_frames_first`)."""
        scores = self.scores_of(self.space.transform(raw))
        return scores if raw.groups is None else clean_frames_first(scores, raw.flags(), raw.groups)

    def scores_of(self, features: np.ndarray) -> np.ndarray:
        """Personal scores of rows already in this model's feature space."""
        defects = features @ self.defects if len(self.defects) else np.zeros(len(features))
        return personal_score(features @ self.weights, defects, self.cap)

    def probability(self, score_a: float, score_b: float) -> float:
        return float(win_probability(self.temperature * score_a, self.temperature * score_b))

    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT, "head": self.head, "active": self.active, "temperature": self.temperature,
                "created_at": self.created_at, "space": self.space.describe(), "report": self.report, "cap": self.cap}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, weights=self.weights, defects=self.defects, meta=np.array(json.dumps(meta)),
                            **self.space.to_arrays())
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "file") -> PersonalModel:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                meta = json.loads(str(arrays["meta"]))
                loaded = {name: arrays[name] for name in arrays.files if name != "meta"}
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise PersonalModelError(f"{source} is not a photocull personal model ({exc})") from exc
        if meta.get("format") != FORMAT:
            raise PersonalModelError(f"{source} has format {meta.get('format')!r}; this photocull reads {FORMAT}")
        try:
            space = FeatureSpace.from_arrays(loaded, meta["space"])
            model = cls(space, loaded["weights"], float(meta["temperature"]), str(meta["head"]), bool(meta["active"]),
                        dict(meta.get("report", {})), float(meta.get("created_at", 0.0)),
                        loaded.get("defects", np.zeros(0)), float(meta.get("cap", 0.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise PersonalModelError(f"{source} is incomplete ({exc})") from exc
        if model.weights.shape != (len(space.center),) or space.look_basis.shape[0] != len(space.look_mean) \
                or len(model.defects) not in (0, len(space.center)):
            raise PersonalModelError(f"{source}: weights and feature space do not fit together")
        return model


def clean_frames_first(scores: np.ndarray, flags: np.ndarray, groups: np.ndarray, gap: float = FLAG_GAP) -> np.ndarray:
    """``scores`` with, inside each group (``groups`` >= 0), the frames carrying more defect ``flags`` moved
    down, all by the same amount, until they sit ``gap`` below every frame of the group carrying fewer.

    The learnt taste may like the look of a blurred frame (a softer face, a warmer cast); this makes
    sure it never ranks above its own clean frames, whoever the user is. Photos outside a burst, and
    frames of one flag count, keep their scores and their order.
    """
    out = scores.astype(np.float64, copy=True)
    for group in np.unique(groups[(groups >= 0) & (flags > 0)]):
        members = np.flatnonzero(groups == group)
        for level in np.unique(flags[members])[1:]:
            worse, better = members[flags[members] == level], members[flags[members] < level]
            out[worse] -= max(0.0, float(out[worse].max() - out[better].min()) + gap)
    return out
