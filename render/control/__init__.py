"""Live control of a job: the server <-> worker channel (channel.py) and the worker's side of it (worker.py)."""
