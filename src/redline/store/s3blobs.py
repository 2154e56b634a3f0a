"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, SeaweedFS), through obstore.

`REDLINE_BLOBS=s3://BUCKET[/PREFIX]`; the endpoint and credentials from the usual AWS
variables: AWS_ENDPOINT_URL (left out for AWS itself), AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (default us-east-1). A key `K` is the
object `PREFIX/K`. A write-once blob is a conditional put (`If-None-Match: *`): a 412 means
another writer put it first, and the object there is read back and compared.

obstore was chosen by measurement (BENCHMARKS.md, "S3 clients"): against SeaweedFS a 4 KB PUT
took 1.3 ms and a GET 0.7 ms (boto3 2.6 / 1.6 ms, minio 1.4 / 1.0 ms), its import 16 ms
(boto3 158 ms, minio 187 ms), and its `mode="create"` is the conditional put (minio's
put_object sent the header as metadata and overwrote the object).
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import AlreadyExistsError, BaseError, NotFoundError as ObjectMissing
from obstore.store import S3Store

from redline.core.errors import ArchiveError
from redline.store.blobs import BlobMissing, Matches, check_existing, check_key

_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "…"


class S3Blobs:
    """Blobs as objects in one bucket, under one prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 session_token: str | None = None) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.where = f"s3://{bucket}/{self.prefix}".rstrip("/") + (f" at {endpoint}" if endpoint else "")
        config: dict[str, str] = {"region": region or "us-east-1"}
        for name, value in (("endpoint", endpoint), ("access_key_id", access_key_id),
                            ("secret_access_key", secret_access_key), ("token", session_token)):
            if value:
                config[name] = value
        options = {"allow_http": True} if (endpoint or "").startswith("http://") else {}
        try:
            self._store = S3Store(bucket, prefix=self.prefix or None, config=config, client_options=options)
        except (BaseError, ValueError) as exc:
            raise ArchiveError(f"cannot use the object store {self.where}: {_one_line(exc)}") from None

    @classmethod
    def from_url(cls, url: str) -> "S3Blobs":
        """`s3://BUCKET[/PREFIX]`, the rest from the AWS variables of the environment."""
        split = urlsplit(url)
        if split.scheme != "s3" or not split.netloc:
            raise ArchiveError(f"{url!r} is not an object store address: give s3://BUCKET/PREFIX")
        env = {name: os.environ.get(name) or None for name in _ENV}
        return cls(split.netloc, split.path, endpoint=env["AWS_ENDPOINT_URL"], region=env["AWS_REGION"],
                   access_key_id=env["AWS_ACCESS_KEY_ID"], secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                   session_token=env["AWS_SESSION_TOKEN"])

    def local_path(self, key: str) -> None:
        return None

    def _error(self, doing: str, key: str, exc: BaseException) -> ArchiveError:
        if isinstance(exc, (ObjectMissing, FileNotFoundError)):
            return BlobMissing(f"{key} is missing from {self.where}")
        return ArchiveError(f"cannot {doing} {key} in {self.where}: {_one_line(exc)}")

    def put_once(self, key: str, data: bytes, *, matches: Matches | None = None) -> bool:
        try:
            obstore.put(self._store, check_key(key), data, mode="create")
            return True
        except AlreadyExistsError:
            pass   # 412: another writer put it first
        except (BaseError, OSError) as exc:
            raise self._error("write", key, exc) from None
        check_existing(self, key, data, self.get(key), matches)
        return False

    def put(self, key: str, data: bytes) -> None:
        try:
            obstore.put(self._store, check_key(key), data)
        except (BaseError, OSError) as exc:
            raise self._error("write", key, exc) from None

    def get(self, key: str) -> bytes:
        try:
            return bytes(obstore.get(self._store, check_key(key)).bytes())
        except (BaseError, OSError) as exc:
            raise self._error("read", key, exc) from None

    def get_range(self, key: str, start: int, length: int | None = None) -> bytes:
        if length is None:
            return self.get(key)[start:]
        if length == 0:
            return b""
        try:
            return bytes(obstore.get_range(self._store, check_key(key), start=start, length=length))
        except (BaseError, OSError) as exc:
            raise self._error("read", key, exc) from None

    def exists(self, key: str) -> bool:
        try:
            obstore.head(self._store, check_key(key))
            return True
        except (ObjectMissing, FileNotFoundError):
            return False
        except (BaseError, OSError) as exc:
            raise self._error("look up", key, exc) from None

    def list(self, prefix: str) -> list[str]:
        prefix = prefix.strip("/")
        try:
            found = [m["path"] for m in obstore.list(self._store, prefix=prefix or None).collect()]
        except (BaseError, OSError) as exc:
            raise self._error("list", prefix + "/", exc) from None
        return sorted(found)
