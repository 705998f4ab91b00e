"""Stand-ins for external national systems (national eID, population registry), each a small real HTTP server.

They exist so development, `make run` and the tests exercise real sockets, real JSON and real signatures.
See docs/simulators.md for the contract each one honours.
"""
