"""The ``corral`` command line: run a server, validate/show/migrate configs, list providers.

User mistakes (bad config, missing file) print a clear message and exit 2; they
never print a traceback.
"""
