"""Authorization at the edge: the grant loader, the per-account index cache, the route
guards, and the decision API. The pure decision logic is in `spacegate.authz`."""
