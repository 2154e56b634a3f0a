"""Alerts: delivering alerts (sinks), source health and the feeds written from the archive."""
