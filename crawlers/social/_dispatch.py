"""One entry point over the five adapters: a spec from a user's words, a poll by spec type.

This is what the pipeline wires: it keeps a ``SocialSpec`` per social source (built once
from the source's platform and target with ``social_spec``) and calls ``poll_social``.
"""

from __future__ import annotations

from crawlers import Fetcher
from crawlers.social._bluesky import BlueskySpec, poll_bluesky
from crawlers.social._hackernews import HackerNewsSpec, poll_hackernews
from crawlers.social._mastodon import MastodonSpec, poll_mastodon
from crawlers.social._post import Platform, SocialPollResult, SocialState
from crawlers.social._reddit import RedditSpec, poll_reddit
from crawlers.social._youtube import YouTubeSpec, poll_youtube

SocialSpec = RedditSpec | MastodonSpec | BlueskySpec | HackerNewsSpec | YouTubeSpec


def social_spec(platform: Platform, target: str) -> SocialSpec:
    """The spec for ``target`` written as a user would, per platform:

    - reddit: ``r/<subreddit>`` or a search query;
    - mastodon: ``#<tag>@<instance>`` or ``<account id>@<instance>``;
    - bluesky: ``@<handle>`` / ``did:...`` (author feed) or a search query;
    - hackernews: a search query;
    - youtube: a channel id or a channel URL.

    Raises ``ValueError`` for a target the platform cannot watch.
    """
    if platform == "reddit":
        return RedditSpec.parse(target)
    if platform == "mastodon":
        return MastodonSpec.parse(target)
    if platform == "bluesky":
        return BlueskySpec.parse(target)
    if platform == "hackernews":
        return HackerNewsSpec(query=target.strip())
    if platform == "youtube":
        return YouTubeSpec.parse(target)
    raise ValueError(f"unknown social platform {platform!r}")


async def poll_social(
    fetcher: Fetcher, spec: SocialSpec, state: SocialState | None
) -> SocialPollResult:
    """Poll ``spec`` with its platform's adapter (see each ``poll_*`` for the contract)."""
    if isinstance(spec, RedditSpec):
        return await poll_reddit(fetcher, spec, state)
    if isinstance(spec, MastodonSpec):
        return await poll_mastodon(fetcher, spec, state)
    if isinstance(spec, BlueskySpec):
        return await poll_bluesky(fetcher, spec, state)
    if isinstance(spec, HackerNewsSpec):
        return await poll_hackernews(fetcher, spec, state)
    return await poll_youtube(fetcher, spec, state)
