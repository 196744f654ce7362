"""The safety API contract: shields, run-shield, moderations and the safety provider Protocol."""
