"""Orchestration: running cycles on a schedule with Prefect (flows, serve, the API client, schedules)."""
