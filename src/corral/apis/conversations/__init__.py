"""The OpenAI Conversations API: conversations and their items (wire types and Protocol)."""
