"""SMS brandname gateway simulator (modelled on Vietnamese SMS brandname gateways)."""

from simulators.sms.server import SmsServer, SmsState, dlr_signature, segments, start_sms_server

__all__ = ["SmsServer", "SmsState", "dlr_signature", "segments", "start_sms_server"]
