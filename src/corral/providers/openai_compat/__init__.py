"""The shared OpenAI-compatible client and the adapter the remote inference providers compose."""
