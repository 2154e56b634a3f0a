"""Core: the model types, the error tree, settings and atomic writes; pure, imports nothing else from redline."""
