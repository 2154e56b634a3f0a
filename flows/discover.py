"""The `discover` flow, for Prefect's own CLI (`prefect deploy flows/discover.py:discover`).

It lives in redline.orchestration.flows; this file only names it.
"""
from redline.orchestration.flows import discover

__all__ = ["discover"]
