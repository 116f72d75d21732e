"""Sources: the upstream datasets, where they live, and the data directory that holds them.

A data directory (a local path or gs://...) holds one folder per source, named after the
source, with the source's files under their upstream names:

    DATA_DIR/hh_rlhf/harmless-base/train.jsonl.gz
    DATA_DIR/begin/wow/begin_dev_wow.tsv

The data directory is an argument of whatever reads data (`root`, `data_dir`): the CLI takes
it from --data_dir or the FLAME_DATA_DIR environment variable, gin runs from `train.data_dir`.
`download()` fetches a source's files from its home (the HF hub, a GitHub repository, a plain
URL or one URL per file, members of a zip or tar archive such as a GitHub release); gated and
manual sources say what the user must do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import os
import socket
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from flame_jax.data.readers import Row, exists, is_remote, read_rows


class NoDataDir(ValueError):
    """A source's files were asked for without a data directory."""


def absolute_path(path: str) -> str:
    """A path as given when remote (gs://...), else made absolute (workers may run elsewhere)."""
    return path if is_remote(path) else os.path.abspath(path)


@dataclasses.dataclass(frozen=True)
class HuggingFace:
    """A dataset repository on the HF hub; files are fetched by their repository paths."""

    repo: str
    revision: str = "main"
    gated: bool = False

    def url(self, file: str) -> str:
        return (
            f"https://huggingface.co/datasets/{self.repo}/resolve/{self.revision}/"
            + urllib.parse.quote(file)
        )

    @property
    def home(self) -> str:
        return f"https://huggingface.co/datasets/{self.repo}"


@dataclasses.dataclass(frozen=True)
class GitHub:
    """Files in a GitHub repository at `ref`, below `prefix`."""

    repo: str
    ref: str = "main"
    prefix: str = ""

    def url(self, file: str) -> str:
        path = f"{self.prefix.strip('/')}/{file}" if self.prefix else file
        return (
            f"https://raw.githubusercontent.com/{self.repo}/{self.ref}/{urllib.parse.quote(path)}"
        )

    @property
    def home(self) -> str:
        return f"https://github.com/{self.repo}"


@dataclasses.dataclass(frozen=True)
class Url:
    """Files below a plain URL."""

    base: str

    def url(self, file: str) -> str:
        return f"{self.base.rstrip('/')}/{urllib.parse.quote(file)}"

    @property
    def home(self) -> str:
        return self.base


@dataclasses.dataclass(frozen=True)
class Files:
    """Files each at a URL of its own (a Google Drive download link, a release asset).

    `urls` maps each file's name under DATA_DIR/<source>/ to its URL; `home` is the page that
    documents them.
    """

    urls: tuple[tuple[str, str], ...]
    home: str

    def __init__(self, urls: Mapping[str, str], home: str):
        object.__setattr__(self, "urls", tuple(sorted(urls.items())))
        object.__setattr__(self, "home", home)

    def url(self, file: str) -> str:
        urls = dict(self.urls)
        if file not in urls:
            raise KeyError(f"no URL for {file} (files: {sorted(urls)})")
        return urls[file]


@dataclasses.dataclass(frozen=True)
class Archive:
    """Files that are members of one zip or tar(.gz) archive at `url` (a GitHub release, a
    repository snapshot, a GCS bucket object).

    `members` maps each file's name under DATA_DIR/<source>/ to its path inside the archive,
    e.g. {"train.jsonl": "mocha-1.0/data/train.jsonl"}. `download` fetches the archive once,
    extracts the members it needs, and deletes the archive.
    """

    url_: str
    members: tuple[tuple[str, str], ...]

    def __init__(self, url: str, members: Mapping[str, str]):
        object.__setattr__(self, "url_", url)
        object.__setattr__(self, "members", tuple(sorted(members.items())))

    def url(self, file: str) -> str:
        return self.url_

    def member(self, file: str) -> str:
        members = dict(self.members)
        if file not in members:
            raise KeyError(f"{file} is not a member of {self.url_} (members: {sorted(members)})")
        return members[file]

    @property
    def home(self) -> str:
        return self.url_


@dataclasses.dataclass(frozen=True)
class Manual:
    """Files the user must obtain by hand (`steps` says how)."""

    steps: str
    home: str = ""

    def url(self, file: str) -> None:
        return None


@dataclasses.dataclass(frozen=True)
class Generated:
    """Rows made in code (the demo collection): `generate(file)` yields row dicts."""

    generate: Callable[[str], Iterable[Mapping[str, Any]]]
    home: str = "generated in code"

    def url(self, file: str) -> None:
        return None


Host = HuggingFace | GitHub | Url | Files | Archive | Manual | Generated


@dataclasses.dataclass(frozen=True)
class Source:
    """One upstream dataset.

    Attributes:
      name: the folder under DATA_DIR (also the prefix of its task names).
      title: the dataset's name as its authors write it.
      license: the data license (SPDX-like; non-commercial ones are flagged by the card).
      host: where its files are downloaded from.
      evaluation_only: its data feeds evaluation benchmarks only, never a training mixture.
      notes: anything a user should know (gated access, partial files, conversions).
    """

    name: str
    title: str
    license: str
    host: Host
    evaluation_only: bool = False
    notes: str = ""

    def path(self, file: str, root: str | None = None) -> str:
        if not root:
            raise NoDataDir(
                f"source {self.name}: no data directory given for {file} (pass --data_dir or set "
                "FLAME_DATA_DIR, e.g. FLAME_DATA_DIR=../shared/data for the samples)"
            )
        return f"{root.rstrip('/')}/{self.name}/{file}"

    def has(self, file: str, root: str | None = None) -> bool:
        return isinstance(self.host, Generated) or exists(self.path(file, root))

    def read(self, file: str, root: str | None = None) -> Iterator[Row]:
        """The rows of one of the source's files (or generated rows)."""
        if isinstance(self.host, Generated):
            for index, data in enumerate(self.host.generate(file), start=1):
                yield Row(self.name, file, index, data)
        else:
            yield from read_rows(self.path(file, root), source=self.name, display=file)

    def stamp(self, file: str, root: str | None = None) -> list[Any]:
        """What identifies a file's content for caching: its size and modification time."""
        if isinstance(self.host, Generated):
            return [file]
        path = self.path(file, root)
        if is_remote(path):
            import tensorflow as tf  # noqa: PLC0415

            stat = tf.io.gfile.stat(path)
            return [file, stat.length, stat.mtime_nsec]
        stat = os.stat(path)
        return [file, stat.st_size, stat.st_mtime_ns]

    @property
    def home(self) -> str:
        return self.host.home


@dataclasses.dataclass(frozen=True)
class DownloadReport:
    source: str
    fetched: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    manual: str = ""
    failed: tuple[tuple[str, str], ...] = ()


def download(
    source: Source, files: Iterable[str], root: str, *, overwrite: bool = False
) -> DownloadReport:
    """Fetches `files` of `source` into ROOT/<source>/ under their upstream names.

    Every file is complete or absent: it lands under a temporary name and is renamed only once
    its length matches the server's Content-Length and its sha256 the one the home publishes
    (the HF hub's X-Linked-Etag); archives are read through (every CRC checked, the expansion
    capped) before a member is taken. Each failure is retried with backoff, then reported for
    its file, and the other files go on. Gated HF datasets use the HF_TOKEN environment variable.
    """
    files = sorted(set(files))
    if isinstance(source.host, Generated):
        return DownloadReport(source.name, manual="generated in code: nothing to download")
    if isinstance(source.host, Manual):
        return DownloadReport(source.name, manual=source.host.steps)
    if isinstance(source.host, Archive):
        return _download_archive(source, files, root, overwrite)
    fetched, present, failed = [], [], []
    headers = {"User-Agent": "flame-jax"}
    token = os.environ.get("HF_TOKEN")
    if isinstance(source.host, HuggingFace) and token:
        headers["Authorization"] = f"Bearer {token}"
    for file in files:
        target = source.path(file, root)
        if exists(target) and not overwrite:
            present.append(file)
            continue
        url = source.host.url(file)
        try:
            _fetch(url, target, headers)
            fetched.append(file)
        except DOWNLOAD_ERRORS as e:
            reason = _reason(e)
            if isinstance(source.host, HuggingFace) and source.host.gated:
                reason += (
                    f" (gated dataset: accept its terms at {source.host.home} and set HF_TOKEN)"
                )
            failed.append((file, reason))
    manual = ""
    if isinstance(source.host, HuggingFace) and source.host.gated and failed:
        manual = f"accept the terms at {source.host.home}, then set HF_TOKEN and rerun"
    return DownloadReport(source.name, tuple(fetched), tuple(present), manual, tuple(failed))


class DownloadError(OSError):
    """A download that cannot be stored: an unusable archive, a directory in the way."""


class IncompleteDownload(DownloadError):
    """Fewer bytes than the Content-Length, or not the published sha256: worth another try."""


# What a failed download or extraction raises: reported per file, never a traceback.
DOWNLOAD_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    KeyError,
    ValueError,
)
ATTEMPTS = 3  # tries per download (transient errors: a cut connection, a 5xx, a timeout)
BACKOFF_S = 2.0  # seconds before the second try, doubling after
# An archive may expand to at most this many bytes in all, and to at most EXPANSION_RATIO
# times its own size (plus 1 MiB): text compresses about 10x, archive bombs 1000x.
MAX_ARCHIVE_BYTES = 64 * 2**30
EXPANSION_RATIO = 100
_CHUNK = 1 << 20


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason} ({error.url})"
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return " ".join(str(error).split()) or type(error).__name__


def _download_archive(
    source: Source, files: list[str], root: str, overwrite: bool
) -> DownloadReport:
    """Fetches the archive once, checks it whole, and extracts the missing members, each
    written atomically."""
    assert isinstance(source.host, Archive)
    present = [f for f in files if exists(source.path(f, root)) and not overwrite]
    wanted = [f for f in files if f not in present]
    if not wanted:
        return DownloadReport(source.name, present=tuple(present))
    url = source.host.url_
    with tempfile.TemporaryDirectory() as scratch:
        archive = os.path.join(scratch, os.path.basename(urllib.parse.urlparse(url).path) or "a")
        try:
            _fetch(url, archive, {"User-Agent": "flame-jax"})
            _check_archive(archive)
        except DOWNLOAD_ERRORS as e:
            reason = f"{url}: {_reason(e)}"
            return DownloadReport(
                source.name, present=tuple(present), failed=tuple((f, reason) for f in wanted)
            )
        fetched, failed = [], []
        for file in wanted:
            try:
                _extract(archive, source.host.member(file), source.path(file, root))
                fetched.append(file)
            except DOWNLOAD_ERRORS as e:
                failed.append((file, f"{url}: {_reason(e)}"))
    return DownloadReport(source.name, tuple(fetched), tuple(present), "", tuple(failed))


def _check_archive(archive: str) -> None:
    """Reads every member of a zip or tar(.gz) archive to its end, so that every CRC (each
    zip member's, the gzip stream's) is checked, and refuses one that expands beyond the cap
    (MAX_ARCHIVE_BYTES, EXPANSION_RATIO): DownloadError naming what is wrong."""
    cap = min(MAX_ARCHIVE_BYTES, EXPANSION_RATIO * os.path.getsize(archive) + _CHUNK)
    total = 0

    def drain(stream, name: str) -> None:
        nonlocal total
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > cap:
                raise DownloadError(
                    f"archive expands beyond {cap:,} bytes (at member {name}): refused as a "
                    "possible archive bomb"
                )

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            declared = sum(info.file_size for info in z.infolist())
            if declared > cap:
                raise DownloadError(
                    f"archive declares {declared:,} bytes, beyond the {cap:,}-byte cap: refused "
                    "as a possible archive bomb"
                )
            for info in z.infolist():
                with z.open(info) as stream:
                    drain(stream, info.filename)  # BadZipFile on a bad CRC
        return
    try:
        with tarfile.open(archive) as t:
            for member in t:
                if member.isfile():
                    drain(t.extractfile(member), member.name)
            # The gzip (bz2, xz) stream's end, where its CRC is checked.
            drain(t.fileobj, "the end of the stream")
    except tarfile.ReadError as e:
        raise DownloadError(f"not a readable zip or tar archive ({e})") from None


def _extract(archive: str, member: str, target: str) -> None:
    """Copies one archive member to `target` through a temporary name."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            try:
                info = z.getinfo(member)
            except KeyError:
                raise KeyError(f"no member {member!r} in the archive") from None
            with z.open(info) as stream:
                _write_atomically(stream, target)
        return
    with tarfile.open(archive) as t:
        try:
            stream = t.extractfile(member)
        except KeyError:
            raise KeyError(f"no member {member!r} in the archive") from None
        if stream is None:
            raise KeyError(f"member {member!r} is not a regular file")
        _write_atomically(stream, target)


def _write_atomically(stream, target: str, check: Callable[[int, str], None] | None = None) -> None:
    """Copies `stream` to `target` through a temporary name; `check(size, sha256 hex)` runs
    before the rename and may refuse the file (a short or corrupted download)."""
    digest = hashlib.sha256()
    size = 0

    def copy(out) -> None:
        nonlocal size
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)

    if is_remote(target):
        import tensorflow as tf  # noqa: PLC0415

        tf.io.gfile.makedirs(os.path.dirname(target))
        partial = f"{target}.partial-{os.getpid()}"
        try:
            with tf.io.gfile.GFile(partial, "wb") as out:
                copy(out)
            if check:
                check(size, digest.hexdigest())
        except BaseException:
            if tf.io.gfile.exists(partial):
                tf.io.gfile.remove(partial)
            raise
        tf.io.gfile.rename(partial, target, overwrite=True)
        return
    directory = os.path.dirname(target)
    if os.path.exists(target) and os.path.isdir(target):
        raise DownloadError(f"{target} is a directory: move it away to download the file")
    os.makedirs(directory, exist_ok=True)
    partial = f"{target}.partial-{os.getpid()}"
    try:
        with open(partial, "wb") as out:  # created 0666 less the umask, as any file
            copy(out)
        if check:
            check(size, digest.hexdigest())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    os.replace(partial, target)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Keeps the checksum the HF hub names in its redirect (X-Linked-Etag: the sha256 of an
    LFS file) for the request that follows it to the storage host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0917  (urllib's)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        origin = getattr(req, "origin", req)  # the request _fetch_once made
        sha256 = _published_sha256(headers)
        if sha256:
            origin.sha256 = sha256
        if new is not None:
            new.origin = origin
        return new


def _published_sha256(headers) -> str | None:
    value = (headers.get("X-Linked-Etag") or "").strip().strip('"').lower()
    value = value.removeprefix("w/").strip('"')
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None


_OPENER = urllib.request.build_opener(_Redirects)


def _transient(error: BaseException) -> bool:
    """Worth another try: a 5xx, 408 or 429 answer, a cut or refused connection, a timeout, a
    short or corrupted body; not a 4xx (gone, forbidden), a missing file or a full disk."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    if isinstance(error, urllib.error.URLError):
        error = error.reason
    transient = (IncompleteDownload, http.client.HTTPException, TimeoutError, ConnectionError)
    return isinstance(error, (*transient, socket.gaierror))


def _fetch(url: str, target: str, headers: dict[str, str]) -> None:
    """Downloads `url` to `target` (complete or absent), ATTEMPTS tries with backoff."""
    for attempt in range(ATTEMPTS):
        try:
            _fetch_once(url, target, headers)
            return
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            if attempt == ATTEMPTS - 1 or not _transient(e):
                raise
            time.sleep(BACKOFF_S * 2**attempt)


def _fetch_once(url: str, target: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, headers=headers)
    with _OPENER.open(request, timeout=60) as response:
        expected_size = response.headers.get("Content-Length")
        # The hub names it on the answer itself, or on the redirect to its storage.
        expected_sha = _published_sha256(response.headers) or getattr(request, "sha256", None)

        def check(size: int, sha256: str) -> None:
            if expected_size is not None and expected_size.isdigit() and size != int(expected_size):
                raise IncompleteDownload(
                    f"{url}: the server sent {size:,} of {int(expected_size):,} bytes (cut short)"
                )
            if expected_sha and sha256 != expected_sha:
                raise IncompleteDownload(
                    f"{url}: sha256 {sha256} differs from the published {expected_sha}"
                )

        _write_atomically(response, target, check)
