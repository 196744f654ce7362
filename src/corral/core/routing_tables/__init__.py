"""Routing tables: which provider owns which resource (models, shields, vector stores)."""
