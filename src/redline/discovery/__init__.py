"""New statements: reading listing pages (listing), scoring their items against the topic (topic),
and the discovery cycle that tracks the related ones (cycle)."""
