"""Helpers shared by tests (not collected): browse stack, cycle worker, fault site."""
