"""Package the autograder for platforms other than this machine.

`gradescope` builds a Gradescope autograder zip (`setup.sh`, `run_autograder`
and the source) that grades with the same engine, checks and configuration as
`python -m autograder grade`.
"""
