"""corral: an OpenAI-compatible AI API server implementing the Llama Stack design."""

__version__ = "0.1.0"
