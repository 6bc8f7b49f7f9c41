import gc

from autograder.cli import main

code = main()
# The process ends here: its heap (torch, the reference, every result) is left as it is, not
# collected object by object on the way out (~1.5 s after a batch's summary, measured).
gc.freeze()
raise SystemExit(code)
