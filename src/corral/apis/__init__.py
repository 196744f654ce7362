"""The contract layer: wire models and provider Protocols of every API, and the wiring contract.

Per API, ``api.py`` (Protocols) and ``models.py`` (wire types). Besides them,
`spec` holds what a provider declares and receives (`Api`, `ProviderSpec`,
`ProviderDeps`, the typed `Routers` map) and `storage` the store Protocols a
provider is handed. This layer imports only `corral.errors` (a test enforces
the whole layer order); the config loader, the core and the providers all
depend on it, never the reverse.
"""
