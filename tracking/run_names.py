"""Friendly names for runs started without one, e.g. 'brave-otter-417'."""

import random

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fancy",
    "gentle", "glad", "golden", "happy", "keen", "lively", "lucky", "mellow", "merry", "nimble",
    "proud", "quick", "quiet", "rapid", "rosy", "shiny", "silent", "smooth", "steady", "sunny",
    "swift", "tidy", "vivid", "warm", "wise", "zesty",
)
_NOUNS = (
    "badger", "bison", "crane", "dolphin", "eagle", "falcon", "ferret", "finch", "fox", "gecko",
    "heron", "ibis", "jaguar", "koala", "lark", "lemur", "lynx", "marten", "moose", "newt",
    "ocelot", "otter", "owl", "panda", "puffin", "quail", "raven", "seal", "shrike", "stoat",
    "swan", "tapir", "trout", "viper", "walrus", "wren", "yak", "zebra",
)
_random = random.SystemRandom()


def random_run_name() -> str:
    """An adjective, an animal and a number."""
    return f"{_random.choice(_ADJECTIVES)}-{_random.choice(_NOUNS)}-{_random.randint(1, 999)}"
