"""Remote inference providers: OpenAI, vLLM, Ollama, any OpenAI-compatible server, presets."""
