"""Delivery of recorded alerts to their sinks: each alert once per sink, claimed before it is sent.

Channels are served side by side, each in its own thread and in alert order, under its own lock:
a slow or hanging channel never holds up the others. A channel that times out is not tried again
in this run: its remaining alerts wait for the next run (one line says so), and the run as a whole
waits for its channels at most `deadline` seconds (REDLINE_DELIVERY_DEADLINE, default 60)."""
from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Mapping, Sequence

from redline.alerts.links import with_links
from redline.core.errors import DeliveryError
from redline.core.model import Alert
from redline.store.locks import delivery_lock
from redline.store.sqlite import Archive

ENV_DEADLINE = "REDLINE_DELIVERY_DEADLINE"
DEFAULT_DEADLINE = 60.0
_TIMEOUT = re.compile(r"timed?[ -]?out|timeout", re.I)
MAX_CHANNELS_AT_ONCE = 8


def deliver_pending(archive: Archive, sinks: Mapping[str, object], *, public_url: str | None = None,
                    deadline: float | None = None) -> tuple[int, list[str]]:
    """Deliver every pending or failed delivery whose sink is configured now; (delivered, error lines).

    Under the sink's delivery lock, each delivery is claimed ('sending') before it is sent and
    marked right after, so an alert that was delivered is never sent again and two runs at once
    never both send it. A run killed between sending and marking leaves 'sending' behind: the
    next run asks a sink that can tell (`delivered(alert_id)`: the JSONL logs) and sends only when
    it did not arrive; a sink that cannot tell (Apprise) gets it again, marked "sent again" (at
    least once: never lost). So does an alert whose last attempt timed out (it may have arrived
    late). A failure is recorded and retried on the next run. With the browse view's `public_url`,
    each alert carries links to its evidence (alerts.links)."""
    if deadline is None:
        deadline = float(os.environ.get(ENV_DEADLINE) or DEFAULT_DEADLINE)
    by_sink: dict[str, list] = {}
    for row in archive.pending_deliveries():
        if row["sink"] in sinks:
            by_sink.setdefault(row["sink"], []).append(row)
    if not by_sink:
        return 0, []
    ends_at = time.monotonic() + deadline
    stop = threading.Event()
    results: dict[str, tuple[int, list[str]]] = {}

    def serve(name: str) -> None:
        results[name] = _deliver_to(archive, name, sinks[name], by_sink[name], public_url=public_url,
                                    ends_at=ends_at, stop=stop)

    pool = ThreadPoolExecutor(max_workers=min(len(by_sink), MAX_CHANNELS_AT_ONCE), thread_name_prefix="deliver")
    futures = {pool.submit(serve, name): name for name in by_sink}
    done, late = wait(futures, timeout=max(deadline, 0))
    stop.set()                      # a channel still sending stops after its current alert
    pool.shutdown(wait=False)
    delivered, errors = 0, []
    for name in by_sink:            # in a stable order
        n, lines = results.get(name, (0, []))
        delivered += n
        errors += lines
    for future in late:
        name = futures[future]
        errors.append(f"channel {name} did not finish within {deadline:g} s; its remaining alerts wait for the "
                      "next run")
    for future in done:
        if future.exception() is not None:
            errors.append(f"channel {futures[future]}: {future.exception()}")
    return delivered, errors


def _deliver_to(archive: Archive, name: str, sink: object, rows: Sequence, *, public_url: str | None,
                ends_at: float, stop: threading.Event) -> tuple[int, list[str]]:
    """One channel's pending alerts, in order, until they are sent, the channel times out or the run's time is up."""
    delivered, errors = 0, []
    for index, row in enumerate(rows):
        if stop.is_set() or time.monotonic() > ends_at:
            errors.append(f"channel {name}: the run's delivery time is up; {len(rows) - index} alert"
                          f"{'s' if len(rows) - index != 1 else ''} wait for the next run")
            break
        with delivery_lock(archive, sink=name):
            previous = archive.claim_delivery(row["alert_id"], name)
            if previous is None:  # another run delivered it meanwhile
                continue
            alert = with_links(archive.alert(row["alert_id"]), public_url)
            try:
                arrived = getattr(sink, "delivered", None)
                if previous == "sending" and arrived is None:  # a run stopped while sending it
                    alert = possible_repeat(alert, "redline stopped while sending it")
                elif previous == "failed" and _TIMEOUT.search(row["last_error"] or ""):
                    alert = possible_repeat(alert, "the last attempt timed out")
                if not (previous == "sending" and arrived is not None and arrived(alert.id)):
                    sink.deliver(alert)  # type: ignore[attr-defined]
            except DeliveryError as exc:
                archive.mark_delivery(alert.id, name, error=str(exc))
                if _TIMEOUT.search(str(exc)):
                    left = len(rows) - index - 1
                    errors.append(f"channel {name} timed out; {left + 1} alert{'s' if left else ''} wait for the "
                                  f"next run ({exc})")
                    break
                errors.append(f"alert {alert.id} to {name}: {exc}")
                continue
            archive.mark_delivery(alert.id, name, error=None)
            delivered += 1
    return delivered, errors


def possible_repeat(alert: Alert, why: str = "redline stopped while sending it") -> Alert:
    """The alert, saying it may have arrived before (re-sent after a run stopped mid-send, or a timeout)."""
    return replace(alert, summary=f"{alert.summary} (sent again: {why}, so it may have arrived before)")
