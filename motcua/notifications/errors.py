"""What a channel may answer besides a provider id."""


class TransientError(Exception):
    """The channel could not take the message now (network, timeout, 5xx): retried with back-off."""


class PermanentError(Exception):
    """The message can never be sent as it is (invalid number or address): failed at once, not retried."""
