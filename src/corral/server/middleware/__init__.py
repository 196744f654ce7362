"""Pure-ASGI middlewares (authentication, route policy); their order is fixed in server/app.py."""
