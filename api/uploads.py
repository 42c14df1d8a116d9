"""Receive a multipart upload straight to disk: the file part is hashed and counted as it
streams, never held whole in memory, and the size limit stops it as soon as it is passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from api.problems import Problem

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 32
FILE_FIELD = "file"


@dataclass
class Received:
    path: Path
    filename: str
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    def __init__(self, target: Path, limit: int) -> None:
        self.target = target
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.digest = hashlib.sha256()
        self._out: BinaryIO | None = None
        self._headers: dict[str, bytes] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._buffer = bytearray()
        self._is_file = False
        self._files = 0
        self.complete = False
        """True once the closing boundary arrived: a body cut short never counts."""

    def on_part_begin(self) -> None:
        self._headers = {}
        self._buffer = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value
        self._field = b""
        self._value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise Problem(400, "each multipart part needs Content-Disposition: form-data; name=")
        self._name = options[b"name"].decode("utf-8", "replace")
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            self._files += 1
            if self._files > 1:
                raise Problem(400, "send one file per upload")
            self.filename = options.get(b"filename", b"upload").decode("utf-8", "replace")
            self._out = self.target.open("wb")
        elif len(self.fields) >= MAX_FIELDS:
            raise Problem(400, f"too many form fields (at most {MAX_FIELDS})")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file:
            self.size += len(chunk)
            if self.size > self.limit:
                raise Problem(
                    413, f"the file is larger than the upload limit of {self.limit} bytes"
                )
            self.digest.update(chunk)
            assert self._out is not None
            self._out.write(chunk)
        else:
            self._buffer += chunk
            if len(self._buffer) > MAX_FIELD_BYTES:
                raise Problem(413, f"form field {self._name!r} is over {MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if self._is_file:
            assert self._out is not None
            self._out.close()
            self._out = None
        elif self._name is not None:
            try:
                self.fields[self._name] = self._buffer.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Problem(400, f"form field {self._name!r} is not UTF-8") from exc

    def on_end(self) -> None:
        self.complete = True

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive_upload(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    target: Path,
    limit: int,
) -> Received:
    """Parse a ``multipart/form-data`` body whose ``file`` part goes to ``target``.

    Raises :class:`Problem` (400, 411-415) on anything malformed or too large; the caller
    removes ``target`` on failure.
    """
    mime, params = parse_options_header(content_type or "")
    if mime != b"multipart/form-data" or b"boundary" not in params:
        raise Problem(415, "upload as multipart/form-data with the file in a part named 'file'")
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError as exc:
            raise Problem(400, "Content-Length is not a number") from exc
        if declared > limit + MAX_FIELDS * MAX_FIELD_BYTES:
            raise Problem(413, f"the upload is larger than the limit of {limit} bytes")
    receiver = _Receiver(target, limit)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
            "on_end": receiver.on_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except Problem:
        raise
    except Exception as exc:  # python-multipart raises its own errors on a malformed body
        raise Problem(400, f"malformed multipart body: {exc}") from exc
    finally:
        receiver.close()
    if not receiver.complete:
        raise Problem(400, "the upload ended before the closing multipart boundary; send it again")
    if receiver.filename is None:
        raise Problem(422, "no file: send it in a multipart part named 'file'")
    if receiver.size == 0:
        raise Problem(422, "the uploaded file is empty")
    return Received(
        target, receiver.filename, receiver.size, receiver.digest.hexdigest(), receiver.fields
    )
