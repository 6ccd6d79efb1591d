"""Benchmarks: `python -m bench.producer_bench` measures the producer API on a large table."""
