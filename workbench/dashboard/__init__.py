"""Dashboards on defined metrics: shared scans, tiles, and their JSON/HTML/PDF renderings."""
