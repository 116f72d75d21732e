"""Files a command writes are complete or absent: one atomic writer for the whole project."""

from __future__ import annotations

import os


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
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)
