"""File processors: Llama Stack 0.7's file_processors API."""
