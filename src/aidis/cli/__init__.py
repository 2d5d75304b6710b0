"""The `aidis` command line."""
