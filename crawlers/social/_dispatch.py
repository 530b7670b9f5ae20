"""One entry point over the five adapters: a spec from a user's words, a poll by spec type.

This is what the pipeline wires: it keeps a ``SocialSpec`` per social source (built once
from the source's platform and target with ``social_spec``) and calls ``poll_social``.
"""

from __future__ import annotations

import dataclasses

from crawlers import Fetcher, Source
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


def source_spec(source: Source) -> SocialSpec:
    """The spec a ``kind="social"`` source watches: ``social_spec(platform, target)``
    asked at ``source.url`` (the API's base URL; for Mastodon, the instance).

    Raises ``ValueError`` when the source has no platform or an unusable target.
    """
    if source.platform is None:
        raise ValueError(f"source {source.id!r} has no social platform")
    spec = social_spec(source.platform, source.target)
    if not source.url:
        return spec
    if isinstance(spec, MastodonSpec):
        return dataclasses.replace(spec, instance=source.url)
    return dataclasses.replace(spec, base_url=source.url)


def default_base_url(platform: Platform, target: str) -> str:
    """The API base URL ``target`` on ``platform`` is read from, when a source names none.

    Raises ``ValueError`` like ``social_spec``.
    """
    spec = social_spec(platform, target)
    if isinstance(spec, MastodonSpec):
        instance = spec.instance.rstrip("/")
        return instance if "://" in instance else f"https://{instance}"
    return spec.base_url


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
