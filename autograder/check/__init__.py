"""Stage 3 — check: hidden pytest checks judge a running submission from outside."""
