"""Stage 2 — run in sandbox: student code executes only in limited worker processes."""
