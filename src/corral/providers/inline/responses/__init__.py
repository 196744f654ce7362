"""Inline responses providers (the agent loop)."""
