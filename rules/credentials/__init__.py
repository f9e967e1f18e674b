"""Packaged rule data (TOML). This file only makes the folder importable for importlib.resources."""
