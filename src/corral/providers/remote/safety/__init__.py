"""Remote safety providers: cloud guardrail services."""
