"""Run config: schema, ``${env...}`` substitution, loading with line-accurate errors, migration.

This layer imports nothing from the server, storage or providers; the provider
registry is passed in by the caller.
"""
