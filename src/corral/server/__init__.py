"""Server: the ASGI app, its middleware, its HTTP routes and the one error-to-HTTP mapping.

Routes translate HTTP to calls on the `Stack`'s routers and back; they hold no
business logic. Middleware is pure ASGI (no BaseHTTPMiddleware) so streaming
responses pass through untouched; its order is fixed in `app.py`.
"""
