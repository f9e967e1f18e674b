"""Builders for real archives and a few shared fixtures' helpers."""
