"""Text: turning a page into comparable text and comparing it (normalize, profiles, diff, classify); pure."""
