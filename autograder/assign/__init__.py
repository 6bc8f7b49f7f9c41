"""Build the student lab (``assignment/``) from the otter-assign master notebook.

See :mod:`autograder.assign.build`.
"""
