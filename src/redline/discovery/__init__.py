"""Discovery: finding new statements on listing pages (parsing, topic filter, the discovery cycle, its report)."""
