"""engine.decisions.xmp: reading decisions from real-world sidecars and updating them surgically.

Fixtures under tests/fixtures/xmp are hand-written in the layouts Lightroom
Classic, darktable, digiKam and Capture One produce (values invented).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from engine.decisions import xmp
from engine.decisions.record import Decision

FIXTURES = Path(__file__).parent.parent / "fixtures" / "xmp"
ALL_FIXTURES = ["lightroom.xmp", "darktable.CR2.xmp", "digikam.JPG.xmp", "captureone.xmp"]

# Our properties, found independently of engine.decisions.xmp (attribute or element form, our namespace
# declarations, darktable's colorlabels element), so "everything else" can be compared byte for byte.
_OURS = re.compile(
    rb'\s+(?:xmp:Rating|xmp:Label|digiKam:PickLabel|digiKam:ColorLabel|xmpDM:pick|xmpDM:good)="[^"]*"'
    rb'|\s+xmlns:(?:digiKam|darktable|xmpDM)="[^"]*"'
    rb"|\s*<darktable:colorlabels>.*?</darktable:colorlabels>"
    rb"|\s*<(xmp:Rating|xmp:Label)>[^<]*</\1>",
    re.S,
)


def without_ours(data: bytes) -> bytes:
    return _OURS.sub(b"", data)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def update(data: bytes, decision: Decision, **options) -> bytes:
    present = xmp.parse(data).values(xmp.DECISION_PROPS).keys()
    return xmp.update_packet(data, xmp.decision_changes(decision, present=present, **options))


@pytest.mark.parametrize(
    ("name", "flag", "rating", "label"),
    [
        ("lightroom.xmp", None, 2, "Yellow"),          # Lightroom: stars + label, no flag
        ("darktable.CR2.xmp", -1, None, "Green"),      # reject replaces stars; first colorlabel wins
        ("digikam.JPG.xmp", 1, 4, "Blue"),             # PickLabel 3 = accepted
        ("captureone.xmp", None, 3, "Green"),          # child-element form, one Description per namespace
    ],
)
def test_reads_what_each_program_wrote(name, flag, rating, label):
    recorded = xmp.read_decision(fixture(name))
    assert (recorded.flag, recorded.rating, recorded.label) == (flag, rating, label)


def test_missing_fields_keep_the_catalog_values():
    recorded = xmp.read_decision(fixture("darktable.CR2.xmp"))
    assert recorded.over(Decision(flag=1, rating=4, label=None)) == Decision(flag=-1, rating=4, label="Green")


@pytest.mark.parametrize("name", ALL_FIXTURES)
@pytest.mark.parametrize("decision", [Decision(1, 5, "Purple"), Decision(-1, 0, None), Decision(0, 3, "Red")])
def test_update_changes_only_our_properties(name, decision):
    original = fixture(name)
    updated = update(original, decision, lightroom_pick=True)
    assert without_ours(updated) == without_ours(original)
    recorded = xmp.read_decision(updated)
    assert recorded.over(Decision()) == (decision if decision.flag != -1 else Decision(-1, 0, decision.label))


def test_lightroom_update_keeps_wrapper_prefixes_and_develop_settings():
    original = fixture("lightroom.xmp")
    updated = update(original, Decision(1, 4, "Red"))
    assert updated.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'.encode())
    assert updated.rstrip().endswith(b'<?xpacket end="w"?>')
    for kept in (b'crs:Exposure2012="+0.35"', b"<rdf:li>64, 58</rdf:li>", b"Caf\xc3\xa9 &amp; garden",
                 b'xmlns:acmeStudio="http://example.com/ns/acme-studio/2.1/"', b'acmeStudio:ClientCode="WED-2024-0615"'):
        assert kept in updated
    assert b'xmp:Rating="4"' in updated and b'xmp:Label="Red"' in updated


def test_element_form_is_updated_in_place():
    updated = update(fixture("captureone.xmp"), Decision(0, 5, "Blue"))
    assert b"<xmp:Rating>5</xmp:Rating>" in updated and b"<xmp:Label>Blue</xmp:Label>" in updated
    assert b'xmp:Rating="' not in updated


def test_unflag_and_no_label_remove_our_fields():
    updated = update(fixture("darktable.CR2.xmp"), Decision(0, 0, None), lightroom_pick=True)
    values = xmp.parse(updated).values(xmp.DECISION_PROPS)
    assert values == {xmp.RATING: "0", xmp.DIGIKAM_PICK: "0", xmp.DIGIKAM_COLOR: "0"}
    assert b"darktable:history" in updated and b"darktable:masks_history" in updated


def test_update_is_idempotent():
    once = update(fixture("digikam.JPG.xmp"), Decision(-1, 2, "Green"), lightroom_pick=True)
    assert update(once, Decision(-1, 2, "Green"), lightroom_pick=True) == once


def test_lightroom_fields_only_when_asked_or_already_there():
    plain = update(fixture("lightroom.xmp"), Decision(1, 0, None))
    assert b"xmpDM:" not in plain
    with_pick = update(fixture("lightroom.xmp"), Decision(1, 0, None), lightroom_pick=True)
    assert b'xmpDM:pick="1"' in with_pick and b'xmpDM:good="True"' in with_pick
    # A file that already has them is kept consistent even with the option off.
    rejected = update(with_pick, Decision(-1, 0, None))
    assert b'xmpDM:pick="-1"' in rejected and b'xmpDM:good="False"' in rejected
    unflagged = update(rejected, Decision(0, 0, None))
    assert b"xmpDM:pick=" not in unflagged and b"xmpDM:good=" not in unflagged


def test_duplicate_occurrences_are_merged():
    data = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="1"/>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:Rating>2</xmp:Rating>
  </rdf:Description>
</rdf:RDF></x:xmpmeta>"""
    updated = xmp.update_packet(data, {xmp.RATING: "5"})
    packet = xmp.parse(updated)
    assert [packet.value(o) for o in packet.occurrences(xmp.RATING)] == ["5"]


def test_foreign_prefix_binding_is_respected():
    # Here "xmp" means something else and the real xmp namespace is bound to "ns0".
    data = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://example.com/not-xmp/" xmlns:ns0="http://ns.adobe.com/xap/1.0/"
   xmp:Rating="keep me" ns0:Rating="1"/>
</rdf:RDF></x:xmpmeta>"""
    updated = xmp.update_packet(data, {xmp.RATING: "3", xmp.DIGIKAM_PICK: "3"})
    assert b'xmp:Rating="keep me"' in updated and b'ns0:Rating="3"' in updated
    assert xmp.read_decision(updated).rating == 3


def test_packet_without_description_gets_one():
    data = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            b' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n </rdf:RDF>\n</x:xmpmeta>\n')
    updated = xmp.update_packet(data, xmp.decision_changes(Decision(1, 2, "Green")))
    assert xmp.read_decision(updated).over(Decision()) == Decision(1, 2, "Green")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (fixture("malformed.xmp"), "malformed"),
        (b"", "malformed"),
        (b"<note>hello</note>", "not_xmp"),
        ('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'.encode("utf-16"), "encoding"),
    ],
)
def test_bad_packets_are_refused(data, reason):
    with pytest.raises(xmp.XmpError) as caught:
        xmp.parse(data)
    assert caught.value.reason == reason


def test_billion_laughs_is_refused_without_expansion():
    entities = "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="&lol9;"/>'
            "</rdf:RDF></x:xmpmeta>").encode()
    started = time.monotonic()
    with pytest.raises(xmp.XmpError) as caught:
        xmp.read_decision(bomb)
    assert caught.value.reason == "unsafe"
    assert time.monotonic() - started < 1.0


def test_write_creates_then_leaves_unchanged_file_alone(tmp_path):
    target = tmp_path / "IMG_0001.xmp"
    assert xmp.write_decision_file(target, Decision(1, 3, "Blue"))
    stamp = target.stat().st_mtime_ns
    assert not xmp.write_decision_file(target, Decision(1, 3, "Blue"))
    assert target.stat().st_mtime_ns == stamp
    assert xmp.read_decision_file(target).over(Decision()) == Decision(1, 3, "Blue")


def test_malformed_sidecar_is_left_untouched(tmp_path):
    target = tmp_path / "IMG_0001.xmp"
    target.write_bytes(fixture("malformed.xmp"))
    with pytest.raises(xmp.XmpError, match="not well-formed"):
        xmp.write_decision_file(target, Decision(1, 3, None))
    assert target.read_bytes() == fixture("malformed.xmp")


def test_failure_before_rename_keeps_old_sidecar_and_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "IMG_0001.xmp"
    target.write_bytes(fixture("lightroom.xmp"))

    def broken_replace(src, dst):
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk pulled out"):
        xmp.write_decision_file(target, Decision(-1, 0, None))
    assert target.read_bytes() == fixture("lightroom.xmp")
    assert os.listdir(tmp_path) == ["IMG_0001.xmp"]


def test_atomic_write_keeps_permissions(tmp_path):
    target = tmp_path / "IMG_0001.xmp"
    target.write_bytes(fixture("digikam.JPG.xmp"))
    target.chmod(0o640)
    xmp.write_decision_file(target, Decision(0, 1, None))
    assert target.stat().st_mode & 0o777 == 0o640
