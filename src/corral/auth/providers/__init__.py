"""Authentication providers: turn a bearer token into a `User`, or refuse it.

Each provider talks to its identity service over one pooled HTTP session with
its TLS context created once. Any failure to validate is `Unauthenticated`
(401); an identity service that cannot be reached is also a 401 with a message
saying so, never a 500.
"""
