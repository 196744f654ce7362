"""The OpenAI Responses API: the agent loop's contract (wire types and the provider Protocol)."""
