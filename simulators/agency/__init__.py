"""Another agency's system (simulated): police residence registration behind the exchange contract."""

from simulators.agency.server import start_agency_server

__all__ = ["start_agency_server"]
