"""The same policy in other encodings and line ends gives the same units."""
from __future__ import annotations

import pytest

from policykg.loader.dataset import BUNDLED_SOURCE
from policykg.loader.parser import parse_document
from policykg.loader.text import decode

ORIGINAL = BUNDLED_SOURCE.read_text(encoding="utf-8")


def fingerprint(doc):
    return [(u.path, u.kind, u.number, u.ordinal, u.heading, u.text, u.parent) for u in doc.units]


@pytest.fixture(scope="module")
def reference():
    return parse_document(BUNDLED_SOURCE)


@pytest.mark.parametrize("name, data", [
    ("gb18030-crlf.txt", ORIGINAL.replace("\n", "\r\n").encode("gb18030")),
    ("gbk.txt", ORIGINAL.encode("gb18030")),
    ("utf8-bom-crlf.txt", b"\xef\xbb\xbf" + ORIGINAL.replace("\n", "\r\n").encode("utf-8")),
    ("utf8-cr.txt", ORIGINAL.replace("\n", "\r").encode("utf-8")),
    ("utf16.txt", ORIGINAL.encode("utf-16")),
])
def test_same_units_in_other_encodings(tmp_path, reference, name, data):
    path = tmp_path / "suzhou-2011-community-party-building.txt"
    path.write_bytes(data)
    assert data != BUNDLED_SOURCE.read_bytes()
    doc = parse_document(path)
    assert doc.text == ORIGINAL                      # normalized: no BOM, LF line ends
    assert fingerprint(doc) == fingerprint(reference)
    assert [(u.start, u.end) for u in doc.units] == [(u.start, u.end) for u in reference.units]
    assert doc.metadata == reference.metadata


def test_gbk_only_text_is_read_as_gb18030():
    # These bytes are valid GBK but not valid UTF-8: the strict UTF-8 attempt must fail over.
    data = "第一条　社区党组织。".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode(data) == "第一条　社区党组织。"


def test_offsets_are_code_points_not_bytes(tmp_path, reference):
    art4 = reference.unit("art/4")
    assert len(ORIGINAL.encode("utf-8")) > len(ORIGINAL)  # bytes and code points really differ
    assert ORIGINAL[art4.start:art4.end] == art4.text
