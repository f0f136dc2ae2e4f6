"""Compressed files (.gz, .bz2, .zip) of any supported format, read as streams; the
inner format comes from the inner name (`a.jsonl.gz`, each zip member's own name).

A truncated or corrupt archive ends with a skip that says so; the articles read from
it before the damage are kept."""

from __future__ import annotations

import bz2
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import IO, Any

from .records import Article, Origin, ReadOptions, Skip

Reader = Callable[[IO[bytes], Origin, ReadOptions], Iterator["Article | Skip"]]
DAMAGE = (EOFError, OSError, zlib.error, zipfile.BadZipFile, ValueError)


class _Tolerant(io.RawIOBase):
    """A decompressing stream that ends, instead of raising, where the data is damaged,
    and remembers why; what was decompressed before the damage is still delivered."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._position = 0
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # Only telling where it is (fastwarc asks); a decompressing stream does not seek.
        if (offset, whence) == (0, io.SEEK_CUR):
            return self._position
        raise io.UnsupportedOperation("seek")

    def readinto(self, buffer: Any) -> int:
        if self.error:
            return 0
        try:
            data = self._stream.read1(len(buffer))
        except DAMAGE as error:
            self.error = str(error) or type(error).__name__
            return 0
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)


def _read_decompressed(stream: Any, origin: Origin, inner: Origin, options: ReadOptions, read_inner: Reader,
                       kind: str) -> Iterator[Article | Skip]:
    if inner.position and inner.start is None:
        inner.start = inner.position()
    tolerant = _Tolerant(stream)
    buffered = io.BufferedReader(tolerant)
    buffered.peek(1)
    if tolerant.error and not buffered.peek(1):
        yield Skip(origin.key, f"not a readable {kind} file ({tolerant.error})")
        return
    yield from read_inner(buffered, inner, options)
    if tolerant.error:
        yield Skip(origin.key, f"truncated or corrupt {kind} file ({tolerant.error}); "
                               "articles before the damage were read")


def read_gzip(stream: IO[bytes], origin: Origin, options: ReadOptions, read_inner: Reader) -> Iterator[Article | Skip]:
    if hasattr(stream, "peek") and not stream.peek(1):
        yield Skip(origin.key, "not a readable gzip file (empty file)")
        return
    inner = Origin(origin.path, origin.key, origin.name[:-len(".gz")], origin.position)
    yield from _read_decompressed(gzip.GzipFile(fileobj=stream, mode="rb"), origin, inner, options, read_inner, "gzip")


def read_bz2(stream: IO[bytes], origin: Origin, options: ReadOptions, read_inner: Reader) -> Iterator[Article | Skip]:
    inner = Origin(origin.path, origin.key, origin.name[:-len(".bz2")], origin.position)
    yield from _read_decompressed(bz2.BZ2File(stream, mode="rb"), origin, inner, options, read_inner, "bzip2")


def _member_position(info: zipfile.ZipInfo, member: Any) -> Callable[[], int]:
    """Bytes of the zip file consumed: the member's start plus its compressed share read."""
    ratio = info.compress_size / info.file_size if info.file_size else 0.0

    def position() -> int:
        try:
            return info.header_offset + int(member.tell() * ratio)
        except (OSError, ValueError):
            return info.header_offset

    return position


def read_zip(stream: IO[bytes], origin: Origin, options: ReadOptions, read_inner: Reader) -> Iterator[Article | Skip]:
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except DAMAGE as error:
        yield Skip(origin.key, f"not a readable zip file ({error})")
        return
    with archive:
        for info in members:
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.name.startswith(".") or "__MACOSX" in name.parts:
                continue
            key = f"{origin.key}::{info.filename}"
            try:
                member = archive.open(info)
            except (*DAMAGE, NotImplementedError, RuntimeError) as error:
                yield Skip(key, f"cannot read zip member ({error})")
                continue
            with member:
                inner = Origin(origin.path, key, name.name, _member_position(info, member), info.header_offset)
                yield from _read_decompressed(member, Origin(origin.path, key, name.name), inner, options,
                                              read_inner, "zip member")
