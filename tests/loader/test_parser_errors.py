"""Unusable sources are refused with a message naming the file and the problem."""
from __future__ import annotations

import pytest

from policykg.loader.parser import parse_document
from policykg.loader.text import SourceError

BAD_INPUTS = {
    "empty": (b"", "empty"),
    "blank": (b" \r\n\t\n", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "undecodable": ("第一条　内容".encode("utf-8")[:-1] + b"\xff\xfe\x80", "cannot decode"),
    "unnumbered": ("这是一段没有编号的文字。\n又一段说明文字。\n".encode("utf-8"), "no recognisable numbering"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_is_refused(tmp_path, kind):
    data, problem = BAD_INPUTS[kind]
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        parse_document(path)
    message = str(caught.value)
    assert str(path) in message and problem in message
    assert caught.value.path == path


def test_control_characters_mean_binary(tmp_path):
    path = tmp_path / "controls.txt"
    path.write_bytes(("第一条　内容" + "\x01\x02\x03\x04" * 10).encode("utf-8"))
    with pytest.raises(SourceError, match="binary"):
        parse_document(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        parse_document(tmp_path / "absent.txt")
    with pytest.raises(SourceError, match="directory"):
        parse_document(tmp_path)
