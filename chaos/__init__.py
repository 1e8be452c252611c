"""A soak-and-faults harness for the distributed stack (`make chaos`, docs/reliability.md).

Modules: `api` (every call to the public API), `database` (every look behind it),
`model` and `users` (simulated users and what they know), `faults` (the schedule and
recovery), `proxies` (the TCP proxies faults cut), `verify`, `report`, `run`.
"""
