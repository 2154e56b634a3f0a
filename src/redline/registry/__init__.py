"""Registry: loading and editing the list of watched sources (sources.toml)."""
