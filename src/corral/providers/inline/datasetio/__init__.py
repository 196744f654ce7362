"""Datasetio providers."""
