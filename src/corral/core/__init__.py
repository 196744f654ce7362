"""Core: provider registry, resolver, resource registry, routing tables, routers, Stack.

The `Stack` owns all runtime state of one server (storage, providers, routers,
resources); nothing here is module-level mutable state, so two stacks in one
process never see each other. What a provider declares (`ProviderSpec`) and
receives (`ProviderDeps`) is contract, in `corral.apis.spec`.
"""
