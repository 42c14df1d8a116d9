"""Behavior detection over a transcript: segments, decision rules, fields, evidence."""
