"""Synthetic operator data: network, subscribers, calls, radio reports, weather, defects."""
