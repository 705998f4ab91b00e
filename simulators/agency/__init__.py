"""Other agencies' systems (simulated) behind the exchange contract: police, social insurance, social assistance,
civil status, and the National Public Service Portal."""

from simulators.agency.profiles import PROFILES, get_profile
from simulators.agency.server import Faults, start_agency_server, start_profile

__all__ = ["PROFILES", "Faults", "get_profile", "start_agency_server", "start_profile"]
