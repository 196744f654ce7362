"""Scoring providers."""
