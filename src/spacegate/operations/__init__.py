"""Running spacegate: metrics, the access log, health and readiness, worker election."""
