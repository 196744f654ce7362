"""Batches providers."""
