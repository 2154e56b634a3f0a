"""Getting pages: the Fetcher (the only HTTP: conditional GETs, politeness per host, retries, size
and time caps, robots.txt), its guarded transport, the address guard, charset decoding."""
