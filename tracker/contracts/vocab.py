"""Closed vocabularies shared by the schemas and the code (a test keeps them equal)."""

PLATFORMS: tuple[str, ...] = (
    "douyin",
    "xiaohongshu",
    "weibo",
    "kuaishou",
    "bilibili",
    "wechat_channels",
    "tiktok",
    "instagram",
    "youtube",
    "generic",
)

# Counter names of a snapshot, in display order; None means "not exposed", never 0.
METRICS: tuple[str, ...] = ("views", "likes", "comments", "shares", "saves", "searches")
