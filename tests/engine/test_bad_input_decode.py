"""Every awkward file either decodes or fails with a stable reason and a readable sentence; originals stay intact."""

from __future__ import annotations

import hashlib
import os

import pytest
from PIL import Image, ImageFile

import engine.library.decode
from engine.library.decode import REASONS, DecodeError, open_image
from engine.library.metadata import read_metadata
from engine.library.thumbnails import ThumbnailCache, analysis_image, ingest
from tests.helpers.corpus import build_bad_input_corpus, corpus_names


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build_bad_input_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("name", corpus_names("bad"))
def test_bad_file_fails_with_expected_reason_everywhere(corpus, name, tmp_path):
    entry = corpus.bad[name]
    attempts = (
        lambda: open_image(entry.path),
        lambda: open_image(entry.path, max_side=256),
        lambda: ingest(entry.path, ThumbnailCache(tmp_path / "cache")),
    )
    try:  # metadata reads headers only, so damaged pixel data may go unnoticed, but never a stray exception
        read_metadata(entry.path)
    except DecodeError as error:
        assert error.reason == entry.reason
    for attempt in attempts:
        with pytest.raises(DecodeError) as caught:
            attempt()
        assert caught.value.reason == entry.reason
        assert caught.value.message.endswith(".") and len(caught.value.message.split()) >= 4
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.jpg"))


def test_corpus_is_broad(corpus):
    kinds = len(corpus.good) + len(corpus.bad) + len(corpus.folders)
    assert kinds >= 25
    assert {entry.reason for entry in corpus.bad.values()} >= {"empty_file", "truncated", "not_an_image", "corrupt", "too_large", "missing"}


def test_decompression_bomb_guard_and_truncation_check_stay_on():
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's default, untouched by importing engine.library.decode
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_bomb_message_says_why(corpus):
    with pytest.raises(DecodeError) as caught:
        open_image(corpus.bad["png_claims_10g_pixels"].path)
    assert "too large" in caught.value.message and "megapixels" in caught.value.message


def test_unreadable_file_is_permission_denied(corpus, monkeypatch):
    """Real chmod 000 when not root; as root (CI containers) permissions don't stop reads, so the OS error is simulated."""
    if "no_read_permission" in corpus.bad:
        path = corpus.bad["no_read_permission"].path
    else:
        path = corpus.good["unreadable_but_root"].path
        assert open_image(path).size == corpus.good["unreadable_but_root"].size  # root really reads it

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(engine.library.decode, "open", refuse, raising=False)
    with pytest.raises(DecodeError) as caught:
        open_image(path)
    assert caught.value.reason == "permission_denied"


def test_decode_error_rejects_unknown_reasons():
    assert len(REASONS) == 8
    with pytest.raises(ValueError):
        DecodeError("oops", "Something.")


def test_originals_are_byte_identical_after_decode_metadata_and_ingest(corpus, tmp_path):
    readable = [path for path in corpus.all_paths() if path.is_file() and os.access(path, os.R_OK)]
    before = {path: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) for path in readable}
    cache = ThumbnailCache(tmp_path / "cache")
    for path in corpus.all_paths():
        actions = (lambda: open_image(path, max_side=64), lambda: read_metadata(path), lambda: ingest(path, cache),
                   lambda: analysis_image(path, cache))
        for action in actions:
            try:
                action()
            except DecodeError:
                pass
    after = {path: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) for path in readable}
    assert after == before
    assert sorted(os.listdir(corpus.root)) == sorted(os.listdir(corpus.root))  # nothing written beside the photos
