"""Downloads without the network: files served by a local HTTP server on 127.0.0.1 that the
test starts, misbehaving the ways real servers and archives do."""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from flame_jax.data import sources
from flame_jax.data.sources import Archive, Source, Url

ROWS = b"".join(b'{"id": %d, "text": "row %d"}\n' % (i, i) for i in range(2000))


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _flip_gzip_crc(data: bytes) -> bytes:
    """The payload intact, its gzip CRC wrong: only a reader that checks the CRC notices."""
    crc = bytearray(data[-8:-4])
    crc[0] ^= 0xFF
    return data[:-8] + bytes(crc) + data[-4:]


def _flip_stored_byte(data: bytes, needle: bytes) -> bytes:
    at = data.index(needle)
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


GOOD_TAR = _tar_gz({"pkg/data/train.jsonl": ROWS, "pkg/README": b"readme"})
ZEROS = b"\0" * (40 * 2**20)  # 40 MiB of zeros: a few tens of KiB compressed

ROUTES = {
    "/files/good.jsonl": {"body": ROWS},
    "/files/short.jsonl": {"body": ROWS, "send": len(ROWS) // 3},
    "/files/flaky.jsonl": {"body": ROWS, "fail_first": 503},
    "/files/gone.jsonl": {"status": 404},
    "/files/lfs.jsonl": {"redirect": "/blob/ok", "sha256": hashlib.sha256(ROWS).hexdigest()},
    "/files/lfs_bad.jsonl": {"redirect": "/blob/ok", "sha256": "0" * 64},
    "/blob/ok": {"body": ROWS},
    "/good.tar.gz": {"body": GOOD_TAR},
    "/truncated.tar.gz": {"body": GOOD_TAR[: len(GOOD_TAR) // 2]},
    "/crc.tar.gz": {"body": _flip_gzip_crc(GOOD_TAR)},
    "/corrupt.zip": {
        "body": _flip_stored_byte(
            _zip({"data/train.jsonl": ROWS}, zipfile.ZIP_STORED), b'"row 1000"'
        )
    },
    "/bomb.zip": {"body": _zip({"data/train.jsonl": ROWS, "zeros.bin": ZEROS})},
    "/bomb.tar.gz": {"body": _tar_gz({"data/train.jsonl": ROWS, "zeros.bin": ZEROS})},
}


COUNTS: dict[str, int] = {}  # requests per path


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        COUNTS[self.path] = COUNTS.get(self.path, 0) + 1
        route = ROUTES.get(self.path, {"status": 404})
        if route.get("fail_first") and COUNTS[self.path] == 1:
            self.send_error(route["fail_first"])
            return
        if "status" in route:
            self.send_error(route["status"])
            return
        if "redirect" in route:
            self.send_response(302)
            self.send_header("Location", route["redirect"])
            self.send_header("X-Linked-Etag", f'"{route["sha256"]}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = route["body"]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: route.get("send", len(body))])
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    monkeypatch.setattr(sources, "BACKOFF_S", 0.0)
    COUNTS.clear()


def _plain(server):
    return Source(name="plain", title="t", license="x", host=Url(f"{server}/files"))


def _archive(server, name, member="pkg/data/train.jsonl"):
    return Source(
        name="packed",
        title="t",
        license="x",
        host=Archive(f"{server}/{name}", {"train.jsonl": member}),
    )


def test_complete_files_are_stored_with_normal_permissions(server, tmp_path):
    old = os.umask(0o022)
    try:
        report = sources.download(_plain(server), ["good.jsonl", "lfs.jsonl"], str(tmp_path))
    finally:
        os.umask(old)
    assert report.fetched == ("good.jsonl", "lfs.jsonl") and not report.failed
    for name in report.fetched:
        path = tmp_path / "plain" / name
        assert path.read_bytes() == ROWS
        assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(os.listdir(tmp_path / "plain")) == ["good.jsonl", "lfs.jsonl"]  # no leftovers


def test_a_download_cut_short_is_retried_then_reported_and_the_rest_go_on(server, tmp_path):
    files = ["short.jsonl", "good.jsonl", "gone.jsonl", "flaky.jsonl", "lfs_bad.jsonl"]
    report = sources.download(_plain(server), files, str(tmp_path))
    assert report.fetched == ("flaky.jsonl", "good.jsonl")  # flaky: a 503, then a retry
    failed = dict(report.failed)
    assert f"sent {len(ROWS) // 3:,} of {len(ROWS):,} bytes" in failed["short.jsonl"]
    assert "HTTP 404" in failed["gone.jsonl"]
    assert "differs from the published" in failed["lfs_bad.jsonl"]
    assert COUNTS["/files/short.jsonl"] == sources.ATTEMPTS
    assert COUNTS["/files/gone.jsonl"] == 1  # a 404 is not retried
    assert sorted(os.listdir(tmp_path / "plain")) == ["flaky.jsonl", "good.jsonl"]


def test_archive_member_is_extracted(server, tmp_path):
    report = sources.download(_archive(server, "good.tar.gz"), ["train.jsonl"], str(tmp_path))
    assert report.fetched == ("train.jsonl",) and not report.failed
    assert (tmp_path / "packed" / "train.jsonl").read_bytes() == ROWS


@pytest.mark.parametrize(
    ("archive", "member", "expected"),
    [
        ("truncated.tar.gz", "pkg/data/train.jsonl", "ended before the end-of-stream"),
        ("crc.tar.gz", "pkg/data/train.jsonl", "CRC"),
        ("corrupt.zip", "data/train.jsonl", "Bad CRC-32"),
        ("bomb.zip", "data/train.jsonl", "archive bomb"),
        ("bomb.tar.gz", "data/train.jsonl", "archive bomb"),
    ],
)
def test_bad_archives_are_refused_whole(server, tmp_path, archive, member, expected):
    report = sources.download(_archive(server, archive, member), ["train.jsonl"], str(tmp_path))
    assert not report.fetched
    ((file, reason),) = report.failed
    assert file == "train.jsonl" and expected in reason, reason
    assert not (tmp_path / "packed").exists()


def test_a_directory_where_the_file_goes_is_reported(server, tmp_path):
    (tmp_path / "plain" / "good.jsonl").mkdir(parents=True)
    report = sources.download(_plain(server), ["good.jsonl"], str(tmp_path), overwrite=True)
    assert "is a directory" in dict(report.failed)["good.jsonl"]
