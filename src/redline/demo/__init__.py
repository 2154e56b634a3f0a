"""Demo: the loopback demo site and seed-page templates, kept apart from the product path."""
