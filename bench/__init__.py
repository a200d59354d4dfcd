"""Benchmarks: forms engine micro-benchmarks, a 100k-ticket generator and the Tablero bench."""
