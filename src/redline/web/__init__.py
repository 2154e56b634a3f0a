"""The read-only web view of an archive (``redline browse``): see app.create_app."""
