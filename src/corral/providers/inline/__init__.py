"""Inline providers: run inside the corral process."""
