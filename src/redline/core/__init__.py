"""The ground every layer stands on: the model (values and typed states), the exception tree,
settings from the environment (config), address policy, URL keys, small text helpers, atomic
file writes. Imports nothing else of redline."""
