"""National eID simulator (OpenID Connect provider). See docs/simulators.md."""

from simulators.eid.server import ACR_LEVEL, FAULTS, EidState, start_eid_server, stop

__all__ = ["ACR_LEVEL", "FAULTS", "EidState", "start_eid_server", "stop"]
