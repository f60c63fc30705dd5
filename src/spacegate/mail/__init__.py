"""Outgoing email: an outbox table written in the sender's transaction, a worker that
delivers it with retries, and the console and SMTP backends."""
