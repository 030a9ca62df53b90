"""File storage behind one small interface: local disk by default, S3-compatible object
storage (MinIO, Ceph, a cloud bucket) when STORAGE_BACKEND=s3. Keys are relative paths
like ``photos/<token>/<uuid>.jpg``; web and worker must see the same storage."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

KEY_RE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class StorageError(RuntimeError):
    pass


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    if not KEY_RE.match(key) or ".." in key:
        raise StorageError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """Files under a directory; written to a temporary name first and renamed, so a reader
    never sees half a file."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"no such file {key!r}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket through boto3."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket, self.client = bucket, client

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> S3Storage:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        )
        if not config.get("S3_BUCKET"):
            raise StorageError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return cls(config["S3_BUCKET"], client)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with _s3_errors(key):
            self.client.put_object(
                Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        with _s3_errors(key):
            response = self.client.get_object(Bucket=self.bucket, Key=_checked(key))
            return bytes(response["Body"].read())

    def delete(self, key: str) -> None:
        with _s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=_checked(key))


@contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    """Every failure of the bucket (no such key, no connection, refused, a 5xx) is a
    StorageError, which callers know how to handle."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StorageError(f"{key}: {exc}") from exc


def storage() -> Storage:
    """The configured storage of the current app (one instance per app)."""
    # current_app is typed as the Flask app; it is a LocalProxy, and this is the app behind it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get("fieldwork_storage")
    if existing is None:
        config = app.config
        if config.get("STORAGE_BACKEND", "local") == "s3":
            existing = S3Storage.from_config(config)
        else:
            existing = LocalStorage(
                config.get("STORAGE_DIR") or Path(app.instance_path) / "storage"
            )
        app.extensions["fieldwork_storage"] = existing
    return existing
