"""Seeded, bounded, replayable fuzz harnesses for faceedge's input surfaces (see README.md)."""
