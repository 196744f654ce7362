"""Run config: schema, ``${env...}`` substitution, loading with line-accurate errors, migration.

This layer imports only the contract layer (`corral.apis`) and `corral.errors`;
the provider catalogue it validates against is passed in by the caller. The
syntax of policy conditions (`conditions.py`) lives here because it is checked
when the config loads.
"""
