"""Batch grading: discover submissions, grade them in parallel, resume, summarise."""
