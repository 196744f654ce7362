"""Remote vector_io providers: pgvector on PostgreSQL."""
