"""What e2e tests need to act as a municipal site: the portal key `make run` generated and printed."""

from __future__ import annotations

import re
from typing import Any


def portal_key(stack: Any, code: str = "13101") -> str:
    """The portal API key of `code` for this run of the stack, as its banner prints it."""
    output = "".join(stack.output)
    match = re.search(rf"Portal API key of {code} \(X-Api-Key, generated for this run\): (\S+)", output)
    assert match, output
    return match.group(1)
