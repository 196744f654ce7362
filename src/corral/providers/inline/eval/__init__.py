"""Eval providers."""
