"""Bytes to text: the encodings news files come in, and telling text from binary."""

from __future__ import annotations

import codecs
import io
from typing import IO, Any, TextIO

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def stream_encoding(head: bytes) -> str:
    """The encoding to read a whole stream with, judged from its first bytes (which
    may end inside a character)."""
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    try:
        head.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3 and error.reason == "unexpected end of data":
            return "utf-8-sig"
    return "cp1252"


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file say it is not text: NUL bytes (outside UTF-16)
    among many control bytes or bytes that are not UTF-8. A stray NUL in a text file
    (one field of a table) is that field's problem, not a reason to drop the file."""
    sample = head[:4096]
    if b"\x00" not in sample or sample.startswith(UTF16_BOMS):
        return False
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    if controls * 10 > len(sample):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a cut character at the end is fine
    except UnicodeDecodeError:
        return True
    return False


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read: those, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def text_stream(stream: IO[bytes], head_size: int = 64 * 1024) -> tuple[TextIO, bytes]:
    """A text stream over binary input, its encoding judged from the first bytes (which
    are returned too, to check for binary content)."""
    head = stream.read(head_size)
    encoding = stream_encoding(head)
    errors = "replace"
    if encoding == "utf-8-sig":
        codecs.register_error(LEGACY_FALLBACK, _legacy_bytes)
        errors = LEGACY_FALLBACK
    buffered = io.BufferedReader(_Prefixed(head, stream))
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline=""), head


LEGACY_FALLBACK = "newssearch-cp1252"


def _legacy_bytes(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 in a mostly UTF-8 stream, read as Windows-1252 (Latin-1
    for the five bytes it leaves undefined)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(_cp1252_char(byte) for byte in bad), error.end


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)
