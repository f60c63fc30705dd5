"""Who holds what: the caller context, the grant loader and the per-account index cache.

The shared core under the request edge (`spacegate.access`) and the services; the pure
decision logic it feeds is `spacegate.authz`.
"""
