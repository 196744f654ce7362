"""The typed contract of every API: request/response wire models and provider Protocols.

This layer imports nothing from `corral.server`, `corral.core` or the providers
(a test enforces it). Providers and routes both depend on it, never the reverse.
"""
