"""Stage 5 — report: results.json, gradebook, HTML feedback, dashboard, terminal view."""
