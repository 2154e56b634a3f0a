"""Monitor: checking sources and recording what changed, one cycle at a time, and reporting on it."""
