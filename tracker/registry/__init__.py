"""The campaign registry from files: tenants, campaigns, creators, posts, bundles, heating, FX.

``tracker posts import FILE`` reads a campaign document (``tracker.campaign.v1``,
YAML or JSON) or a flat table of posts (CSV, XLSX, JSON or YAML list; tracker's
own columns or the Xingtu and Pugongying order-export layouts), reports every
bad row with its line and reason, and imports the good ones: posts to
``tracker.posts.v1`` and planned heating to ``tracker.heating.v1`` (the worker
upserts them and the fee cost lines), the rest to the registry tables.
"""
