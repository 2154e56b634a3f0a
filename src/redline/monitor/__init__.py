"""Checking sources: one check (fetch -> decide -> record), a batch per host, which sources to
check (select), and run_cycle, the one entry point of a monitoring cycle (cycle)."""
