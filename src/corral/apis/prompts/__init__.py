"""Llama Stack's Prompts API: versioned prompt templates (wire types and Protocol)."""
