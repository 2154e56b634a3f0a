"""Alerts after they are recorded: the channels (JSONL log, Apprise), delivery once per channel,
Atom feeds, operator health (failing / recovered), and the texts of alerts."""
