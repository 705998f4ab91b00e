"""A payment gateway (simulated) speaking VNPay 2.1.0: payment page, signed return and IPN, querydr and refund."""

from simulators.gateway.server import Faults, sign, start_gateway_server

__all__ = ["Faults", "sign", "start_gateway_server"]
