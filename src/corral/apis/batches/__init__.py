"""The OpenAI Batches API: wire types and the provider Protocol."""
