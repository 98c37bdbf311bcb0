"""Container names: validation and Docker-style random names (``adjective_surname``)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from ..api.errors import InvalidParameter

VALID_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

ADJECTIVES = (
    "agile", "amazing", "bold", "brave", "bright", "calm", "careful", "cheerful", "clever", "cool",
    "curious", "daring", "dazzling", "eager", "elastic", "elegant", "epic", "fearless", "fervent",
    "festive", "focused", "friendly", "gallant", "gentle", "gifted", "glad", "graceful", "happy",
    "hardy", "helpful", "honest", "hopeful", "humble", "jolly", "keen", "kind", "lively", "loyal",
    "lucid", "magical", "merry", "modest", "nimble", "noble", "optimistic", "patient", "peaceful",
    "playful", "polished", "proud", "quick", "quiet", "radiant", "relaxed", "resolute", "serene",
    "sharp", "sincere", "smart", "steady", "sunny", "swift", "tender", "thoughtful", "tidy",
    "trusting", "upbeat", "vibrant", "vigilant", "warm", "wise", "witty", "youthful", "zealous",
)

SURNAMES = (
    "agnesi", "archimedes", "babbage", "bardeen", "bell", "bohr", "boole", "bose", "brahe", "cannon",
    "carson", "cerf", "chandrasekhar", "curie", "darwin", "dijkstra", "einstein", "euclid", "euler",
    "faraday", "fermat", "fermi", "feynman", "franklin", "galileo", "gauss", "goodall", "hamilton",
    "hawking", "heisenberg", "hertz", "hodgkin", "hopper", "hypatia", "johnson", "joule", "kepler",
    "knuth", "kowalevski", "lamarr", "leakey", "liskov", "lovelace", "maxwell", "mcclintock",
    "meitner", "mendel", "mirzakhani", "morse", "newton", "nobel", "noether", "pascal", "pasteur",
    "pauling", "planck", "poincare", "ramanujan", "ritchie", "rosalind", "sagan", "shannon",
    "snyder", "stallman", "swanson", "tesla", "thompson", "torvalds", "turing", "volta", "wiles",
    "wozniak", "wright", "yalow", "yonath",
)


def validate(name: str) -> str:
    """Check a user-given container name; returns it without the leading slash."""
    if not VALID_NAME.match(name):
        raise InvalidParameter(f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name.lstrip("/")


def random_name(taken: Callable[[str], bool]) -> str:
    """A free random name; a digit suffix is added after a few collisions."""
    for attempt in range(64):
        name = f"{secrets.choice(ADJECTIVES)}_{secrets.choice(SURNAMES)}"
        if attempt >= 8:
            name += str(secrets.randbelow(100))
        if not taken(name):
            return name
    raise RuntimeError("could not find a free container name")
