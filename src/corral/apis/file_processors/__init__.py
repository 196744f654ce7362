"""The file_processors API (Llama Stack 0.7): a file in, chunks ready for a vector store out."""
