"""Datasets and DatasetIO (Llama Stack): registered datasets and reading/appending their rows."""
