"""Lab 5's hidden checks (one pytest module per part of the spec), their helpers, and the
selftest library (mutants, alternatives). Never shipped to students; a worker never sees it."""
