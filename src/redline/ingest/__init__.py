"""Ingest: fetching pages over HTTP safely (transport, SSRF guard, charset decoding)."""
