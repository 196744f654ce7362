"""Providers: one folder per provider under ``inline/<api>/<name>/`` or ``remote/<api>/<name>/``.

Each provider package exports ``SPEC`` and ``async def create(config, deps)``;
`openai_compat` holds the OpenAI-compatible HTTP client and adapter that the
remote inference providers are composed from.
"""
