"""Benchmarks and eval (Llama Stack): run a candidate over a dataset and score its answers."""
