"""Prefect: the flows, `redline serve` (deployments on schedules), the local API server, and
refresh (a served run, or a cycle in this process)."""
