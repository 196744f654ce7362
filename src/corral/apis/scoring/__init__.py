"""Scoring and scoring functions (Llama Stack): score rows of answers against expected ones."""
