"""Inter-agency exchange: signed messages to and from other agencies' systems through a transactional outbox."""
