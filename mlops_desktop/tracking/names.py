"""Readable run names such as ``brave-otter-42``."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "curious",
    "daring", "eager", "fancy", "fierce", "gentle", "glad", "golden", "happy", "humble", "jolly",
    "keen", "kind", "lively", "lucky", "merry", "mighty", "nimble", "noble", "patient", "proud",
    "quick", "quiet", "rapid", "serene", "sharp", "shiny", "silent", "steady", "swift", "witty",
)  # fmt: skip
_ANIMALS = (
    "badger", "bat", "bear", "beaver", "bison", "crane", "crow", "deer", "dolphin", "eagle",
    "falcon", "ferret", "finch", "fox", "gecko", "heron", "ibis", "jaguar", "koala", "lemur",
    "lynx", "marten", "mole", "moose", "newt", "otter", "owl", "panda", "puffin", "quail",
    "raven", "robin", "seal", "shrew", "sloth", "stoat", "swan", "tapir", "walrus", "wolf",
)  # fmt: skip

_rng = random.Random()


def generate_run_name() -> str:
    """A random, readable name: adjective, animal and a number below 100."""
    return f"{_rng.choice(_ADJECTIVES)}-{_rng.choice(_ANIMALS)}-{_rng.randrange(100)}"
