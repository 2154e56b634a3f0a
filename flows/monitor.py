"""The `monitor` flow, for Prefect's own CLI (`prefect deploy flows/monitor.py:monitor`).

It lives in redline.orchestration.flows; this file only names it.
"""
from redline.orchestration.flows import monitor

__all__ = ["monitor"]
