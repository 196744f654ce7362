"""Remote datasetio providers."""
