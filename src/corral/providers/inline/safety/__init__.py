"""Inline safety providers: Llama Guard through any served model, and the offline rule shield."""
