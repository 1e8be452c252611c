"""Load and scale benchmarks and the tools they need."""
