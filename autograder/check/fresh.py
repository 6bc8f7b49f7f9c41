"""Fresh draws: inputs a check wants no notebook to know before the call that takes them,
yet the same each time one file is graded.

Why: the no-library checks' inputs must be unknown beforehand (an answer kept from the
library for inputs the notebook saw is right for none of them). Drawn from the operating
system (`random.SystemRandom`), a function right on most inputs and wrong on a few (an eps
that shows at some magnitudes, a branch taken now and then) was graded differently each
time its notebook was: a regrade request, a resumed batch or two students handing in the
same file got other points. The seeds now come from the submission's fresh key (its bytes'
digest keyed by the lab's hidden files: `grader.fresh_key`), the check's name and the
draw's place in the check: another notebook, even one byte apart, draws other inputs, and
none can work its own out (the key holds its own digest and a secret no worker sees).
"""

from __future__ import annotations

import hashlib
import random


class _Draws:
    """The running check's stream of seeds: keyed by its name and the submission's fresh
    key, or none (every seed from the operating system) where a check runs with no key."""

    def __init__(self) -> None:
        self.stream = b""
        self.count = 0


_DRAWS = _Draws()


def begin_draws(check: str, key: bytes) -> None:
    """`check` starts, for the submission whose fresh key is `key` (b"": none)."""
    _DRAWS.stream = hashlib.blake2b(check.encode("utf-8"), key=key[:64]).digest() if key else b""
    _DRAWS.count = 0


def fresh_seed() -> int:
    """The running check's next 63-bit seed for inputs drawn afresh (see the module's doc);
    with no key, one from the operating system."""
    if not _DRAWS.stream:
        return random.SystemRandom().getrandbits(63)
    _DRAWS.count += 1
    digest = hashlib.blake2b(_DRAWS.count.to_bytes(8, "big"), key=_DRAWS.stream,
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
