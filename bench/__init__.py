"""Benchmarks: `make bench SCALE=S|M|L` runs `bench.run`, which records figures in bench/results/."""
