"""Performance runners for geoplan (``python benchmarks/run.py``); never timed inside the unit tests."""
