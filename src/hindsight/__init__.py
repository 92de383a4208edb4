"""Hindsight: blameless incident post-mortems."""

__version__ = "0.1.0"
