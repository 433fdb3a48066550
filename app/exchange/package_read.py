"""Reading a ZIP package that may be hostile, without trusting its headers.

Before a byte is decompressed: the end-of-central-directory record is read by hand so a
directory with millions of entries is refused before ``zipfile`` parses it; then every member
is checked: no absolute paths, drive letters or ``..``; no symlinks or other special files;
no encryption; no overlapping data; declared sizes, the total and the compression ratio
within limits. While reading, bytes are counted in bounded chunks, so a member that inflates
beyond what its header declared is caught as it happens.
"""
from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.exchange.package_format import METADATA, README, SCHEME, PackageError

CHUNK = 1 << 20
_EOCD = b"PK\x05\x06"
TEXT_MEMBERS = {METADATA, SCHEME, README}
_DRIVE = re.compile(r"^[A-Za-z]:")
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


@dataclass
class PackageLimits:
    """What a package may ask of this machine (all sizes uncompressed, in bytes)."""
    max_members: int = 200_000
    max_member_bytes: int = 1_000_000_000
    max_total_bytes: int = 64 * 1024 ** 3
    max_metadata_bytes: int = 200_000_000
    max_ratio: float = 200.0
    ratio_floor: int = 1 << 20   # small files may compress well; only larger ones are judged


def human_bytes(n: float) -> str:
    """``1.5 GB``, ``20 MB``, ``50 kB``: sizes in messages a curator reads."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


class SafeZip:
    """A checked, read-only view of a package: ``members`` maps names to ZipInfo."""

    def __init__(self, path: str | Path, limits: PackageLimits | None = None):
        self.path = Path(path)
        self.limits = limits or PackageLimits()
        self.name = self.path.name
        _precheck_directory(self.path, self.limits)
        try:
            self.zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise PackageError(f"{self.name} is not a readable ZIP file ({exc}).") from None
        try:
            self.members = check_members(self.zf.infolist(), self.limits, self.name)
        except BaseException:
            self.zf.close()
            raise

    def chunks(self, name: str) -> Iterator[bytes]:
        """The member's bytes in chunks, refusing it as soon as it exceeds its declared size."""
        info = self.members[name]
        seen = 0
        try:
            with self.zf.open(info) as handle:
                while chunk := handle.read(CHUNK):
                    seen += len(chunk)
                    if seen > info.file_size or seen > self.limits.max_member_bytes:
                        raise PackageError(f"{self.name}: {name} inflates beyond the size its header "
                                           "declares (a zip bomb?).")
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise PackageError(f"{self.name}: {name} is damaged ({exc}).") from None
        if seen != info.file_size:
            raise PackageError(f"{self.name}: {name} is shorter than its header declares.")

    def read(self, name: str, limit: int | None = None) -> bytes:
        """A whole member (refused when its declared size is over ``limit``)."""
        if limit is not None and self.members[name].file_size > limit:
            raise PackageError(f"{self.name}: {name} is larger than {human_bytes(limit)}.")
        return b"".join(self.chunks(name))

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _precheck_directory(path: Path, limits: PackageLimits) -> None:
    """Refuse a central directory that declares too many entries, before zipfile reads it."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65_557))
            tail = handle.read()
    except OSError as exc:
        raise PackageError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise PackageError(f"{path.name} is not a ZIP file (no central directory).")
    entries, cd_size = struct.unpack("<HI", tail[at + 10:at + 16])
    if entries != 0xFFFF and entries > limits.max_members:
        raise PackageError(f"{path.name} declares {entries:,} files; the limit is "
                           f"{limits.max_members:,}.")
    if cd_size != 0xFFFFFFFF and cd_size > limits.max_members * 1100:
        raise PackageError(f"{path.name} has an oversized file directory.")


def check_members(infos: list[zipfile.ZipInfo], limits: PackageLimits,
                  package: str) -> dict[str, zipfile.ZipInfo]:
    """Check every member; returns file members by name (folders are dropped)."""
    if len(infos) > limits.max_members:
        raise PackageError(f"{package} holds {len(infos):,} files; the limit is {limits.max_members:,}.")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        check_name(info.filename, package)
        check_kind(info, package)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise PackageError(f"{package} would unpack to more than {human_bytes(limits.max_total_bytes)}.")
        if info.is_dir():
            continue
        check_size(info, limits, package)
        if info.filename in members:
            raise PackageError(f"{package} holds {info.filename!r} twice; which one is meant is "
                               "ambiguous.")
        members[info.filename] = info
    check_overlap(infos, package)
    return members


def check_name(name: str, package: str) -> None:
    """Refuse names that could write outside a target folder on any system."""
    unified = name.replace("\\", "/")
    parts = unified.split("/")
    if "\x00" in name or unified.startswith("/") or _DRIVE.match(unified) or ".." in parts:
        raise PackageError(f"{package} contains the unsafe path {name!r} (absolute, with a drive "
                           "letter or with '..').")


def check_kind(info: zipfile.ZipInfo, package: str) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise PackageError(f"{package} contains a symbolic link ({info.filename!r}).")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise PackageError(f"{package} contains a special file ({info.filename!r}).")
    if info.flag_bits & 0x1:
        raise PackageError(f"{package} contains an encrypted file ({info.filename!r}).")
    if info.compress_type not in _METHODS:
        raise PackageError(f"{package}: {info.filename!r} uses an unsupported compression method.")


def check_size(info: zipfile.ZipInfo, limits: PackageLimits, package: str) -> None:
    if info.file_size > limits.max_member_bytes:
        raise PackageError(f"{package}: {info.filename!r} would unpack to {human_bytes(info.file_size)}, "
                           f"over the limit of {human_bytes(limits.max_member_bytes)}.")
    ratio = info.file_size / max(1, info.compress_size)
    # text compresses as well as a bomb does (a long repetitive description: 1000:1); the
    # package's own text files are bounded by max_metadata_bytes instead
    if info.filename in TEXT_MEMBERS:
        if info.file_size > limits.max_metadata_bytes:
            raise PackageError(f"{package}: {info.filename!r} would unpack to {human_bytes(info.file_size)}, "
                               f"over the limit of {human_bytes(limits.max_metadata_bytes)}.")
        return
    if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
        raise PackageError(f"{package}: {info.filename!r} is compressed {ratio:,.0f}:1, which only a "
                           "zip bomb does.")


def check_overlap(infos: list[zipfile.ZipInfo], package: str) -> None:
    """Members whose data overlap (one deflate stream shared by many entries) are a bomb trick."""
    # 30 bytes of local header is a lower bound (names and extras only add), so a legitimate
    # archive never trips this, whatever encoding its names use
    spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size)
                   for i in infos if not i.is_dir())
    for (_, end), (start, _) in zip(spans, spans[1:]):
        if start < end:
            raise PackageError(f"{package} has overlapping files (a zip-bomb construction).")
