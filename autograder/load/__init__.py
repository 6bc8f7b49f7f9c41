"""Stage 1 — load: turn a submitted file into plain Python cells, or say why not."""
