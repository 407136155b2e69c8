"""The gates' suites, written as code from the data contract (`docs/raw-schema.md`, the marts' grains)."""
