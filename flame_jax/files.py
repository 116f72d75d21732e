"""Files a command writes are complete or absent: the project's atomic writers and the checks
that an output can be written, made before the work whose result it will hold.

    write_atomically(path, data)        one file: a temporary file beside it, then a rename
    staged_directory(target)            a set of files (eval results, a converted model): written
                                        into a directory beside `target`, which becomes `target`
                                        in one rename, so a reader sees the old set or the new one
    check_writable(path)                a clear error naming the path, in a second, not after
                                        hours of judging or converting
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator


class OutputError(ValueError):
    """An output path that cannot be written (a directory where a file goes, no permission)."""


def write_atomically(path: str, data: str | bytes) -> None:
    """Writes a temporary file beside `path` and renames it, so a reader never sees half a
    file (local paths, or gs://... through tf.io.gfile). New files get the usual 0644."""
    payload = data.encode() if isinstance(data, str) else data
    if "://" in path:
        import tensorflow as tf  # noqa: PLC0415

        tmp = f"{path}.tmp-{os.getpid()}"
        with tf.io.gfile.GFile(tmp, "wb") as f:
            f.write(payload)
        tf.io.gfile.rename(tmp, path, overwrite=True)
        return
    check_writable(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except OSError as e:  # a full disk, a quota: named, and no temporary file left behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def _existing_ancestor(path: str) -> str:
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_writable(path: str, *, directory: bool = False) -> None:
    """Raises OutputError naming `path` unless it can be written as a file (or, with
    `directory`, as a directory): it is not the other kind, and the nearest existing directory
    at or above it is a writable directory. gs:// paths are not checked."""
    if "://" in path:
        return
    full = os.path.abspath(path)
    if os.path.isdir(full) and not directory:
        raise OutputError(f"{path} is a directory: give a file path")
    if os.path.exists(full) and directory and not os.path.isdir(full):
        raise OutputError(f"{path} is a file: give a directory path")
    start = full if directory and os.path.isdir(full) else os.path.dirname(full)
    ancestor = _existing_ancestor(start)
    if not os.path.isdir(ancestor):
        raise OutputError(f"cannot write {path}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {ancestor} is not writable")


def _remove_stale(prefix: str) -> None:
    """Deletes `prefix`PID directories whose process is gone (runs killed while staging)."""
    parent, name = os.path.split(prefix)
    for entry in os.listdir(parent or "."):
        pid = entry[len(name) :]
        if entry.startswith(name) and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


@contextlib.contextmanager
def staged_directory(target: str, *, replace: bool = False) -> Iterator[str]:
    """Yields a new empty directory beside `target` to write a set of files into; when the
    block ends without an error it becomes `target` by rename (an existing `target` is renamed
    aside first and then deleted, only with `replace`; an empty one is always replaced). An
    error, or a kill, leaves `target` as it was (a killed run's `*.partial-PID` may remain)."""
    target = os.path.abspath(target)
    check_writable(target, directory=True)
    if os.path.isdir(target) and os.listdir(target) and not replace:
        raise OutputError(f"{target} exists and is not empty: choose a new output or overwrite it")
    _remove_stale(f"{target}.partial-")
    staging = f"{target}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if os.path.isdir(target):
        old = f"{target}.old-{os.getpid()}"
        os.rename(target, old)
    os.rename(staging, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)
