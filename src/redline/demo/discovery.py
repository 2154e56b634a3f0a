"""The discovery and removal steps of `make demo`: a new related statement on a listing, and a removed statement.

5. A listing page of the demo registry (the MFA arms-control documents list, in the
   site's listing template) is served with one item, the seed statement it lists
   under its /eng/ address: the first `discover` run reads it as the listing's
   baseline (that item is recorded as a republication of the tracked seed). Then a
   related statement and an unrelated one appear on it; the second run tracks and
   archives the related one and alerts once; the unrelated one is only remembered.
6. A tracked statement is replaced by the site's "page not found" placeholder
   (served with HTTP 200): the monitor raises one removed alert, no new version.

The pages of step 5 are demo pages, titled as such; the listing template and the
placeholder are cut from the MFA's own pages (see replay_discovery).
"""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from redline.core.config import Settings
from redline.core.model import Source
from redline.core.urls import doc_id
from redline.demo.listing_pages import Entry, listing_page, placeholder_page
from redline.demo.loopback import LoopbackSite, loopback_path
from redline.demo.narration import Steps
from redline.demo.pages import seed_page
from redline.discovery.report import items_table, listing_table
from redline.core.table import print_grid
from redline.monitor.report import summary_table
from redline.registry.load import Registry
from redline.store.sqlite import Archive

DEMO_LISTING = "mfa-listing-arms-control-documents"
RELATED = Entry("Chair's Statement on Cooperation in Cyberspace Governance and Data Security (redline demo page)",
                "./202611/t20261121_11800001.html")
UNRELATED = Entry("Foreign Ministry Spokesperson's Remarks on the Spring Festival Gala (redline demo page)",
                  "./202611/t20261120_11800000.html")
RELATED_TEXT = f"""{RELATED.title}
2026-11-21 10:00
This page is served by `redline demo` on 127.0.0.1; it stands for a new statement on a listing.
The parties agreed to deepen cooperation on cyberspace governance, data security and the digital economy.
They will hold the next dialogue in 2027."""
UNRELATED_TEXT = f"""{UNRELATED.title}
2026-11-20 15:00
This page is served by `redline demo` on 127.0.0.1; it stands for an unrelated statement on a listing."""


def _print_alert(console: Console, archive: Archive, alert_id: int) -> None:
    alert = archive.alert(alert_id)
    console.print(f"\n[bold yellow]ALERT #{alert.id}[/] ({alert.kind}) {escape(alert.title)}", highlight=False)
    console.print(f"{alert.url}\n{alert.summary}\n{alert.diff_text}", highlight=False, markup=False)


def discovery_steps(site: LoopbackSite, registry: Registry, settings: Settings, steps: Steps, *,
                    tracked: Source, removed: Source) -> list[str]:
    """Run steps 5 and 6 against the Prefect API already up; return what went against expectations.

    `tracked`: the seed statement the listing lists (under another address); `removed`: the
    statement replaced by the placeholder."""
    # imported here, not at the top: Prefect reads its settings when first imported (after quiet_prefect_env)
    from redline.orchestration.foreground import run_discover_flow, run_monitor_flow

    console = steps.console


    problems: list[str] = []
    listing = registry.by_name(DEMO_LISTING)
    folder = loopback_path(listing.url)
    known = Entry(tracked.title, f"./{tracked.date[:4]}{tracked.date[5:7]}/{doc_id(tracked.url)}.html")
    site.put(folder, listing_page([known], title=listing.title))
    steps.step(f"listing [cyan]{DEMO_LISTING}[/]: its first read is its baseline (it lists "
               f"{tracked.name} under its /eng/ address: the same document, not a new one)")
    with steps.busy("reading the listing…"):
        baseline, _ = run_discover_flow(settings, listings=[DEMO_LISTING])
    print_grid(console, listing_table(baseline, title="discover 1 (baseline)"), piped="table")
    site.put(folder, listing_page([RELATED, UNRELATED, known], title=listing.title))
    for entry, text in ((RELATED, RELATED_TEXT), (UNRELATED, UNRELATED_TEXT)):
        site.put(folder + entry.href.removeprefix("./"), seed_page(text, template="mfa_en_2024"))
    steps.step("two statements appear on it: one on cyberspace governance and data security, one on a "
               "gala; reading it again (only the related one is tracked and alerted)")
    with steps.busy("reading the listing again…"):
        found, _ = run_discover_flow(settings, listings=[DEMO_LISTING])
    print_grid(console, listing_table(found, title="discover 2"), piped="table")
    print_grid(console, items_table(found), piped="table")
    items = {i.title: i for o in found for i in o.found}
    alerts = [a for o in found for a in o.alerts]
    if any(o.alerts or o.error for o in baseline):
        problems.append("the listing's first read (its baseline) alerted or failed")
    if [i.outcome for o in baseline for i in o.found] != ["republication"]:
        problems.append(f"the listing's seed item should be a republication of {tracked.name}")
    if RELATED.title not in items or items[RELATED.title].outcome != "new" or len(alerts) != 1:
        problems.append("the related statement should be tracked and alerted exactly once")
    if UNRELATED.title not in items or items[UNRELATED.title].outcome != "unrelated":
        problems.append("the unrelated statement should be remembered, not tracked")
    with Archive(settings.archive) as archive:
        for alert_id in alerts:
            _print_alert(console, archive, alert_id)

    site.put(loopback_path(removed.url), placeholder_page())
    steps.step(f"[cyan]{removed.name}[/] now serves the site's \"page not found\" placeholder "
               "(HTTP 200, 您访问的页面不存在或已删除); cycle 3 checks every tracked statement")
    with steps.busy("cycle 3: checking 6 statements…"):
        third, _ = run_monitor_flow(settings)
    print_grid(console, summary_table(third, title="cycle 3"), piped="table")
    raised = [o for o in third if o.alert_id is not None]
    with Archive(settings.archive) as archive:
        kinds = [(o.source, archive.alert(o.alert_id).kind) for o in raised]
        for o in raised:
            _print_alert(console, archive, o.alert_id)
        versions = len(archive.versions(removed.name))
    if kinds != [(removed.name, "removed")]:
        problems.append(f"cycle 3 should raise one removed alert, for {removed.name}; it raised {kinds or 'none'}")
    if versions != 1 or any(o.error for o in third):
        problems.append("the removed statement got a new version, or a check failed")
    if len(third) != len(registry.statements()) + 1:
        problems.append("cycle 3 should check the seed statements and the discovered one")
    return problems
