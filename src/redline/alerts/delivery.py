"""Delivery of recorded alerts to their sinks: each alert once per sink, claimed before it is sent."""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from redline.alerts.links import with_links
from redline.core.errors import DeliveryError
from redline.core.model import Alert
from redline.store.locks import delivery_lock
from redline.store.sqlite import Archive


def deliver_pending(archive: Archive, sinks: Mapping[str, object], *,
                    public_url: str | None = None) -> tuple[int, list[str]]:
    """Deliver every pending or failed delivery whose sink is configured now.

    Under the archive's delivery lock, each delivery is claimed ('sending') before it is
    sent and marked right after, so an alert that was delivered is never sent again and
    two runs at once never both send it. A run killed between sending and marking leaves
    'sending' behind: the next run asks a sink that can tell (`delivered(alert_id)`: the
    JSONL logs) and sends only when it did not arrive; a sink that cannot tell (Apprise)
    gets it again, marked as a possible repeat (at least once: never lost). A failure is
    recorded and retried on the next run. With the browse view's `public_url`, each alert carries
    links to its evidence (alerts.links)."""
    delivered, errors = 0, []
    for row in archive.pending_deliveries():
        name = row["sink"]
        sink = sinks.get(name)
        if sink is None:
            continue
        with delivery_lock(archive.root):
            previous = archive.claim_delivery(row["alert_id"], name)
            if previous is None:  # another run delivered it meanwhile
                continue
            alert = with_links(archive.alert(row["alert_id"]), public_url)
            try:
                arrived = getattr(sink, "delivered", None)
                if previous == "sending" and arrived is None:  # a run stopped while sending it
                    alert = possible_repeat(alert)
                if not (previous == "sending" and arrived is not None and arrived(alert.id)):
                    sink.deliver(alert)
            except DeliveryError as exc:
                archive.mark_delivery(alert.id, name, error=str(exc))
                errors.append(f"alert {alert.id} to {name}: {exc}")
                continue
            archive.mark_delivery(alert.id, name, error=None)
            delivered += 1
    return delivered, errors


def possible_repeat(alert: Alert) -> Alert:
    """The alert, saying it may have arrived before (re-sent after a run stopped mid-send)."""
    return replace(alert, summary=f"{alert.summary} (sent again: redline stopped while sending it, "
                                  "so it may have arrived before)")
