"""Benchmark generators and scripts; see docs/performance.md."""
