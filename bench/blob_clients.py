"""Choose the S3 client by measurement: import time, and small PUT/GET latency against a running
S3 endpoint (SeaweedFS in the tests). Not part of `make test`; run by hand:

    AWS_ENDPOINT_URL=http://127.0.0.1:8333 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
        python bench/blob_clients.py --bucket BUCKET [--n 200]

Each client writes N distinct 4 KB objects with a conditional put (If-None-Match: *), reads them
back, and writes one of them again (must be refused, 412). Prints medians and p90s in ms.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit


def import_ms(module: str, repeats: int = 5) -> float:
    """The median wall time of `python -c "import MODULE"` minus the bare interpreter's."""
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start
    bare = statistics.median(run("pass") for _ in range(repeats))
    return 1000 * (statistics.median(run(f"import {module}") for _ in range(repeats)) - bare)


def clients(bucket: str) -> dict:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_REGION", "us-east-1")

    def boto3_ops():
        import boto3
        from botocore.exceptions import ClientError
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)

        def put(k, data):
            try:
                s3.put_object(Bucket=bucket, Key=k, Body=data, IfNoneMatch="*")
                return True
            except ClientError as exc:
                if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 412:
                    return False
                raise
        return put, lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read()

    def obstore_ops():
        import obstore
        from obstore.exceptions import AlreadyExistsError
        from obstore.store import S3Store
        store = S3Store(bucket, endpoint=endpoint, access_key_id=key, secret_access_key=secret, region=region,
                        client_options={"allow_http": True})

        def put(k, data):
            try:
                obstore.put(store, k, data, mode="create")
                return True
            except AlreadyExistsError:
                return False
        return put, lambda k: bytes(obstore.get(store, k).bytes())

    def minio_ops():
        from minio import Minio
        from minio.error import S3Error
        split = urlsplit(endpoint)
        m = Minio(split.netloc, access_key=key, secret_key=secret, secure=split.scheme == "https", region=region)

        def put(k, data):
            try:
                m.put_object(bucket, k, io.BytesIO(data), len(data), metadata={"If-None-Match": "*"})
                return True
            except S3Error as exc:
                if exc.code == "PreconditionFailed":
                    return False
                raise

        def get(k):
            r = m.get_object(bucket, k)
            try:
                return r.read()
            finally:
                r.close()
                r.release_conn()
        return put, get

    return {"boto3": boto3_ops, "obstore": obstore_ops, "minio": minio_ops}


def ms(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=10)
    return f"median {1000 * statistics.median(samples):.2f} ms, p90 {1000 * q[-1]:.2f} ms"


def stores(bucket: str, n: int, data: bytes) -> None:
    """redline's own blob stores, as a check uses them: put_once then get, per 4 KB blob."""
    import tempfile

    from redline.store.blobs import FolderBlobs
    from redline.store.s3blobs import S3Blobs

    with tempfile.TemporaryDirectory() as folder:
        for name, store in (("folder (fsync, link)", FolderBlobs(folder)),
                            ("S3Blobs on this endpoint", S3Blobs.from_url(f"s3://{bucket}/bench-{uuid.uuid4().hex[:6]}"))):
            puts, gets = [], []
            for i in range(n):
                start = time.perf_counter()
                store.put_once(f"text/{i % 256:02x}/{i}.txt.gz", data)
                puts.append(time.perf_counter() - start)
            for i in range(n):
                start = time.perf_counter()
                store.get(f"text/{i % 256:02x}/{i}.txt.gz")
                gets.append(time.perf_counter() - start)
            print(f"redline {name}: put_once 4 KB {ms(puts)}; get 4 KB {ms(gets)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    data = os.urandom(4096)
    for name, make in clients(args.bucket).items():
        module = {"boto3": "boto3", "obstore": "obstore.store", "minio": "minio"}[name]
        put, get = make()
        prefix = f"bench-{name}-{uuid.uuid4().hex[:6]}/"
        put(prefix + "warm", data)
        get(prefix + "warm")
        puts, gets = [], []
        for i in range(args.n):
            start = time.perf_counter()
            assert put(f"{prefix}{i}", data)
            puts.append(time.perf_counter() - start)
        for i in range(args.n):
            start = time.perf_counter()
            assert get(f"{prefix}{i}") == data
            gets.append(time.perf_counter() - start)
        refused = "refused (412)" if put(f"{prefix}0", data) is False else "NOT refused: overwrote"
        print(f"{name}: import {import_ms(module):.0f} ms; PUT 4 KB {ms(puts)}; GET 4 KB {ms(gets)}; "
              f"second conditional put {refused}")
    stores(args.bucket, args.n, data)


if __name__ == "__main__":
    main()
