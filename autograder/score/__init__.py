"""Scoring: the data a graded submission ends as."""
