"""A retried host task resumes (issue 17, item 15): the sources its first try recorded are
neither fetched nor written again, and the run's summary still names their alerts."""
from __future__ import annotations

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.monitor.cycle import check_host

WORDING = ("should play a leading role", "should play a central role")


def test_a_retried_host_task_checks_only_the_sources_its_first_try_did_not_record(stack) -> None:
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    statements = stack.registry.statements()
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    check_host(stack.archive, statements, fetcher=stack.fetcher, sinks=sinks, run_id="one", failure_threshold=3)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    first_try = [s for s in statements if s.name == name] + [statements[-1]]   # the try that crashed did these
    done = check_host(stack.archive, first_try, fetcher=stack.fetcher, sinks=sinks, run_id="two", failure_threshold=3)
    asked_before = len(stack.site.requests)
    captures_before = stack.archive.counts()["captures"]
    again = check_host(stack.archive, statements, fetcher=stack.fetcher, sinks=sinks, run_id="two",
                       failure_threshold=3, resume=True)
    fetched = [p for p, _ in stack.site.requests[asked_before:]]
    assert len(fetched) == len(statements) - len(first_try)                      # only the others
    assert stack.archive.counts()["captures"] == captures_before + len(statements) - len(first_try)
    by_name = {o.source: o for o in again}
    assert [o.source for o in again] == [s.name for s in statements]
    alert_id = next(o.alert_id for o in done if o.source == name)
    assert alert_id is not None and by_name[name].alert_id == alert_id and by_name[name].change == "substantive"
