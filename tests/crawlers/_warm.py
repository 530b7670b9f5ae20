"""What a process's first date in words sets up (``crawlers.warm_extraction``), read
in the process that runs this: the tests submit it to extraction pools."""

from __future__ import annotations


def date_patterns_compiled() -> int:
    """How many locales' word patterns dateparser (htmldate's date parser) has compiled
    in this process. It compiles them the first time a date in words is not claimed
    by one locale at once: about 1.9 s of CPU on the reference machine, once."""
    from dateparser.languages.dictionary import Dictionary

    return sum(len(patterns) for patterns in Dictionary._split_regex_cache.values())
