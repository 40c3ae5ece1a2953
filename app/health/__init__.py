"""Liveness and readiness of an app node, for the load balancer and the operator."""
