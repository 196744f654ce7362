"""Authentication providers, access_policy, route_policy and quota.

The ASGI middlewares that use these live in `corral.server.middleware`; this
layer holds the decisions (who is this token, may this user do that), not HTTP
plumbing.
"""
