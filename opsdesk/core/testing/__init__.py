"""Test helpers shared by every app: factories and role fixtures."""
