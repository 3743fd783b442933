"""Collectors: keep every tracked post fresh from the platforms' APIs and exports.

Where data enters tracker. The pieces, in the order a refresh passes them:

- ``feed``: follows the registry topics (``tracker.posts.v1``, ``tracker.heating.v1``)
  into the ``scheduler``, which holds every tracked post by next-due event time;
- ``cadence``: how often a post is refreshed (young, heated, ageing) and its priority;
- ``quota``: each platform's daily budget, spent on the posts whose fresh value matters most;
- ``http``: one httpx client per platform with rate and concurrency limits, retries with
  jittered backoff honouring Retry-After, a circuit breaker (``breaker``);
- ``platforms``: one adapter per platform behind one small interface, registered by name;
- ``collector``: the loop that turns due posts into requests and observations into
  ``tracker.snapshots.v1`` and ``tracker.comments.v1`` messages (``produce``);
- ``service``: the same as a mode Service for ``tracker run``.
"""
