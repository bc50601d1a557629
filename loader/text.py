"""Reading a source file into normalized text, and the error for unusable sources.

Normalization (so that offsets are stable whatever the file's encoding or line ends):
the bytes are decoded as UTF-8 (a leading BOM is dropped) or, failing that, as
GB18030 (a superset of GBK and GB2312) — or as UTF-16 when they start with its byte-order
mark; then CRLF and lone CR become LF. Every
offset the loader publishes counts Unicode code points in this normalized text.
For the bundled policy (UTF-8, no BOM, LF line ends) the normalized text equals
the file's text, so offsets also index the file as it is.
"""
from __future__ import annotations

import codecs
from pathlib import Path

# Control characters that never occur in a text document; their presence means binary data.
_BINARY_CONTROLS = {chr(c) for c in range(0x20)} - {"\t", "\n", "\r", "\f", "\v"}


class SourceError(Exception):
    """A source file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _where(data: bytes, offset: int, encoding: str) -> str:
    """``byte 0xFF at byte offset 5, line 1, column 3``: the column counts the characters before it on
    its line as the encoding reads them (a leading UTF-8 BOM is no character)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset]
    if line_start == 0 and before.startswith(codecs.BOM_UTF8):
        before = before[len(codecs.BOM_UTF8):]
    column = len(before.decode(encoding, errors="replace").replace("\r", "")) + 1
    line = data.count(b"\n", 0, offset) + 1
    return f"byte 0x{data[offset]:02X} at byte offset {offset}, line {line}, column {column}"


def decode(data: bytes, path: Path | str = "<bytes>") -> str:
    """Decode a source's bytes (UTF-8 with or without BOM, else GB18030) and normalize line ends."""
    if not data.strip():
        raise SourceError(path, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a byte-order mark (Windows "Unicode" text): unambiguous, so accept it.
        try:
            return data.decode("utf-16").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            raise SourceError(path, "cannot decode the file as UTF-16 although it starts with a UTF-16 mark") from None
    if b"\x00" in data:
        raise SourceError(path, "the file is binary (it contains NUL bytes), not text")
    # The BOM is cut here rather than by "utf-8-sig", whose error offsets count from after it.
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")  # strict: any invalid byte falls through to GB18030
    except UnicodeDecodeError as utf8:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as gb:
            raise SourceError(
                path, f"cannot decode the file as UTF-8 (invalid {_where(data, bom + utf8.start, 'utf-8')}) "
                      f"or as GB18030 (invalid {_where(data, gb.start, 'gb18030')})"
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text if ch in _BINARY_CONTROLS)
    if controls > max(2, len(text) // 1000):
        raise SourceError(path, f"the file looks binary ({controls} control characters), not text")
    return text


def read_source(path: Path | str, max_bytes: int | None = None) -> str:
    """Read and decode one source file; any problem is a SourceError naming the file. A file over
    ``max_bytes`` is refused before it is read (the build's memory grows with the text)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise SourceError(path, f"the file is {size / 1e6:.1f} MB ({size} bytes), over the limit of "
                                    f"{max_bytes / 1e6:g} MB for a policy text (setting max_source_mb)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read the file ({exc.strerror or exc})") from None
    return decode(data, path)
