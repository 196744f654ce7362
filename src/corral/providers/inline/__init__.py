"""Inline providers: run inside the corral process (files on local disk, embedded indexes)."""
