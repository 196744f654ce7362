"""The models API contract: registering models and listing them in the OpenAI shape."""
