"""Population registry simulator (signed person and household look-ups). See docs/simulators.md."""

from simulators.registry.server import SIGNATURE_HEADER, RegistryState, start_registry_server, stop

__all__ = ["SIGNATURE_HEADER", "RegistryState", "start_registry_server", "stop"]
