from __future__ import annotations

import json

from redline.core.model import AlertKind, ChangeKind, CheckChange, DeliveryStatus, Health, SourceStatus


def test_typed_states_are_their_strings() -> None:
    assert SourceStatus.REMOVED == "removed" and Health.FAILING == "failing"
    assert json.dumps([CheckChange.RESTORED, AlertKind.NEW_STATEMENT]) == '["restored", "new_statement"]'
    assert f"{DeliveryStatus.DELIVERED}" == "delivered" and str(ChangeKind.SUBSTANTIVE) == "substantive"
    assert {c.value for c in CheckChange} >= {"first", "trivial", "substantive", "renormalized", "removed", "restored"}
