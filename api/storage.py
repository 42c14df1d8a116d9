"""Where uploaded files live. The seam for other stores (an S3-compatible bucket) is
:class:`MediaStore`: the upload side writes to a local temporary file and hands it over with
``put``; a worker gets a local path back with ``open_local``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol


class MediaStore(Protocol):
    def temp_dir(self) -> Path:
        """A folder on the same file system as the store, for uploads in progress."""
        ...

    def put(self, local: Path, key: str) -> None:
        """Take ownership of the file ``local`` (moved, not copied) under ``key``."""
        ...

    def exists(self, key: str) -> bool: ...

    def open_local(self, key: str) -> AbstractContextManager[Path]:
        """A context manager giving a local path to the stored file (a copy for remote stores)."""
        ...

    def delete(self, key: str) -> None: ...


class LocalMediaStore:
    """Files under one folder: the data directory, or a mount every worker shares."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def temp_dir(self) -> Path:
        path = self.root / ".incoming"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key outside the media folder: {key!r}")
        return path

    def put(self, local: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local, target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    @contextmanager
    def open_local(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"stored file missing: {key} (is the media folder shared?)")
        yield path

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def new_temp_file(store: MediaStore) -> Path:
    fd, name = tempfile.mkstemp(dir=store.temp_dir(), prefix="upload-")
    os.close(fd)
    return Path(name)


STALE_UPLOAD_SECONDS = 6 * 3600.0


def clear_stale_uploads(store: MediaStore, older_than: float = STALE_UPLOAD_SECONDS) -> None:
    """Remove half-received uploads a crashed server left behind: those not written to for
    ``older_than`` seconds. Newer ones may be another API server's uploads in progress into
    the same shared media folder, so they stay."""
    cutoff = time.time() - older_than
    for path in store.temp_dir().iterdir():
        with contextlib.suppress(OSError):  # gone already: another server cleared it
            if path.lstat().st_mtime < cutoff:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
