-- 0001 data model (DESIGN.md "Data model", "Correctness rules").
--
-- ORDER BY cannot change later, so every table is here, including those the
-- analytics worker fills later. Conventions:
--   * `tenant` (the agency's client or the brand) is first in every ORDER BY;
--     global rows (FX rates, default EMV unit values) use tenant = ''.
--   * Times are UTC DateTime64(3, 'UTC'); hourly grids use DateTime('UTC').
--     A campaign's `time_zone` is used for its daily figures and reports.
--   * Money is amount Decimal(18, 4) + ISO-4217 currency on every row;
--     `fx_rates` converts at the cost's date to the reporting currency.
--   * A metric a platform does not expose is NULL, never 0.
--   * Every table is ReplacingMergeTree(version) keyed by its natural key:
--     registry re-imports and stream re-emissions (replays) replace rows
--     instead of adding them. Read with FINAL (or argMax by version).
--     `version` is a UInt64 that grows with the source: updated_at in epoch
--     ms for registry rows, the Kafka offset or event time in ms for facts.
--   * Every table keeps hashes of its last 1000 inserted blocks
--     (non_replicated_deduplication_window) so an insert repeated with the
--     same insert_deduplication_token (derived from source offsets) is a no-op.
--   * Partitions only on time columns that are part of the sorting key, so
--     rows with one key never sit in two partitions (FINAL works per partition).
--   * No SummingMergeTree and no materialized-view rollups: rollups are views
--     computed at query time from these upserted rows.

-- ---------------------------------------------------------------- registry

CREATE TABLE IF NOT EXISTS tenants
(
    tenant             LowCardinality(String),
    name               String,
    reporting_currency LowCardinality(String),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY tenant
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS campaigns
(
    tenant             LowCardinality(String),
    campaign_id        String,
    name               String,
    time_zone          LowCardinality(String) DEFAULT 'Asia/Shanghai',
    reporting_currency LowCardinality(String) COMMENT 'empty = the tenant''s',
    starts_at          DateTime64(3, 'UTC'),
    ends_at            Nullable(DateTime64(3, 'UTC')),
    brand_terms        Array(String) COMMENT 'brand and product lexicon for comment keywords',
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, campaign_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS creators
(
    tenant    LowCardinality(String),
    creator_id String,
    name      String,
    tier      LowCardinality(String) COMMENT 'from followers: mega, macro, mid, micro, nano',
    followers Nullable(UInt64),
    tags      Array(String) COMMENT 'vertical, tone, audience, compliance notes',
    notes     String,
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, creator_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS creator_accounts
(
    tenant     LowCardinality(String),
    creator_id String,
    platform   LowCardinality(String),
    account_id String,
    handle     String,
    followers  Nullable(UInt64),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, creator_id, platform, account_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS posts
(
    tenant           LowCardinality(String),
    post_id          String,
    platform         LowCardinality(String),
    platform_post_id String,
    url              String,
    campaign_id      String,
    creator_id       String,
    account_id       String,
    creator_tier     LowCardinality(String) COMMENT 'tier when the post was placed',
    content_form     LowCardinality(String) COMMENT 'video, image_text, live, story, ...',
    published_at     DateTime64(3, 'UTC'),
    tracking_end     Nullable(DateTime64(3, 'UTC')),
    bundle_id        String COMMENT 'empty = not part of a bundle deal',
    tags             Array(String),
    deleted          UInt8 COMMENT '1 = removed from the registry (tombstone)',
    version          UInt64 COMMENT 'updated_at in epoch ms, or the source offset'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- ---------------------------------------------------------------- money

-- Dated cost lines. Heating spend of a heating node lives in heating_nodes;
-- kind 'heating' here is heating spend invoiced without a node.
CREATE TABLE IF NOT EXISTS cost_lines
(
    tenant      LowCardinality(String),
    cost_id     String,
    campaign_id String,
    post_id     String COMMENT 'empty for campaign-level costs',
    bundle_id   String,
    kind        Enum8('fee' = 1, 'service_fee' = 2, 'bundle' = 3, 'extra' = 4, 'heating' = 5),
    amount      Decimal(18, 4),
    currency    LowCardinality(String),
    cost_date   Date,
    note        String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, cost_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- A bundle deal: one amount split over its posts (posts.bundle_id) at query time.
CREATE TABLE IF NOT EXISTS bundles
(
    tenant      LowCardinality(String),
    bundle_id   String,
    campaign_id String,
    amount      Decimal(18, 4),
    currency    LowCardinality(String),
    cost_date   Date,
    split       Enum8('equal' = 1, 'by_views' = 2, 'by_engagements' = 3, 'by_fee' = 4),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, bundle_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- 1 base = rate quote on rate_date. Global rates use tenant = ''; a tenant's
-- own contracted rates, when present, take precedence.
CREATE TABLE IF NOT EXISTS fx_rates
(
    tenant    LowCardinality(String) DEFAULT '',
    base      LowCardinality(String),
    quote     LowCardinality(String),
    rate_date Date,
    rate      Decimal(18, 8),
    source    LowCardinality(String),
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, base, quote, rate_date)
SETTINGS non_replicated_deduplication_window = 1000;

-- Heating nodes (DOU+, shutiao, ads on authorised content): the delivery
-- window [start_at, end_at) (end_at NULL = heating_window default) and spend.
CREATE TABLE IF NOT EXISTS heating_nodes
(
    tenant         LowCardinality(String),
    post_id        String,
    heating_id     String,
    campaign_id    String,
    channel        LowCardinality(String),
    start_at       DateTime64(3, 'UTC'),
    end_at         Nullable(DateTime64(3, 'UTC')),
    spend_amount   Nullable(Decimal(18, 4)),
    spend_currency LowCardinality(String),
    status         LowCardinality(String) COMMENT 'planned, executed, cancelled',
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, heating_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Optional sales for ROAS: each order carries an attribution key.
CREATE TABLE IF NOT EXISTS sales
(
    tenant          LowCardinality(String),
    order_id        String,
    attribution_key String,
    key_kind        Enum8('post' = 1, 'link' = 2, 'promo' = 3),
    revenue         Decimal(18, 4),
    currency        LowCardinality(String),
    ordered_at      DateTime64(3, 'UTC'),
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, order_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Which post a tracking link or promo code belongs to (key_kind 'post' needs no row).
CREATE TABLE IF NOT EXISTS attribution_keys
(
    tenant          LowCardinality(String),
    key_kind        Enum8('post' = 1, 'link' = 2, 'promo' = 3),
    attribution_key String,
    post_id         String,
    campaign_id     String,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, key_kind, attribution_key)
SETTINGS non_replicated_deduplication_window = 1000;

-- EMV unit values per platform and metric (a configurable table; no value is
-- official). tenant '' = defaults; valid from a date.
CREATE TABLE IF NOT EXISTS emv_unit_values
(
    tenant     LowCardinality(String) DEFAULT '',
    platform   LowCardinality(String),
    metric     LowCardinality(String),
    valid_from Date,
    unit_value Decimal(18, 6),
    currency   LowCardinality(String),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, platform, metric, valid_from)
SETTINGS non_replicated_deduplication_window = 1000;

-- ---------------------------------------------------------------- stream facts

-- Cumulative counters observed for one post at one time (NULL = not exposed).
CREATE TABLE IF NOT EXISTS snapshots
(
    tenant        LowCardinality(String),
    post_id       String,
    observed_at   DateTime64(3, 'UTC'),
    platform      LowCardinality(String),
    views         Nullable(UInt64),
    likes         Nullable(UInt64),
    comments      Nullable(UInt64),
    shares        Nullable(UInt64),
    saves         Nullable(UInt64),
    searches      Nullable(UInt64),
    status        LowCardinality(String) COMMENT 'live, unavailable, ...',
    source        LowCardinality(String) COMMENT 'api, export, provider, simulator',
    rounded       Array(String) COMMENT 'metrics the platform reported rounded (e.g. 1.2w)',
    src_partition UInt32,
    src_offset    UInt64,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(observed_at)
ORDER BY (tenant, post_id, observed_at)
SETTINGS non_replicated_deduplication_window = 1000;

-- Snapshots older than the reorder window: kept and counted, not merged.
CREATE TABLE IF NOT EXISTS late_snapshots AS snapshots;

-- The latest totals of each post (upserted by the worker after every event).
CREATE TABLE IF NOT EXISTS post_totals
(
    tenant         LowCardinality(String),
    post_id        String,
    platform       LowCardinality(String),
    campaign_id    String,
    as_of          DateTime64(3, 'UTC') COMMENT 'observed_at of the latest snapshot',
    status         LowCardinality(String),
    views          Nullable(UInt64),
    likes          Nullable(UInt64),
    comments       Nullable(UInt64),
    shares         Nullable(UInt64),
    saves          Nullable(UInt64),
    searches       Nullable(UInt64),
    engagements    Nullable(UInt64) COMMENT 'likes + comments + shares + saves over the metrics the platform has',
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS comments
(
    tenant      LowCardinality(String),
    post_id     String,
    comment_id  String,
    created_at  DateTime64(3, 'UTC'),
    text        String,
    likes       Nullable(UInt64),
    author_hash String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, comment_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Rejected messages, keyed by where they came from (a replay replaces them).
CREATE TABLE IF NOT EXISTS dlq
(
    tenant        LowCardinality(String) COMMENT 'empty when unknown',
    source_topic  LowCardinality(String),
    src_partition UInt32,
    src_offset    UInt64,
    rejected_at   DateTime64(3, 'UTC'),
    reason        String,
    error_class   LowCardinality(String),
    payload       String
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant, source_topic, src_partition, src_offset)
SETTINGS non_replicated_deduplication_window = 1000;

-- ---------------------------------------------------------------- analytics
-- Written by the analytics worker as upserts of the rows an event touched.

-- Hourly grid per metric: cumulative (interpolated between observations) and velocity per hour.
CREATE TABLE IF NOT EXISTS curves
(
    tenant     LowCardinality(String),
    post_id    String,
    metric     LowCardinality(String),
    hour       DateTime('UTC'),
    cumulative Nullable(Float64),
    velocity   Nullable(Float64),
    observed   UInt8 COMMENT '1 = an observation in this hour, 0 = interpolated',
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, metric, hour)
SETTINGS non_replicated_deduplication_window = 1000;

-- Pulses of the multi-node heating curve; attribution interval [onset, ends_at).
CREATE TABLE IF NOT EXISTS pulses
(
    tenant                  LowCardinality(String),
    post_id                 String,
    pulse_index             UInt16,
    onset                   DateTime64(3, 'UTC'),
    ends_at                 Nullable(DateTime64(3, 'UTC')) COMMENT 'next onset; NULL for the current pulse',
    trigger                 LowCardinality(String) COMMENT 'heating or organic',
    heating_ids             Array(String),
    peak_at                 Nullable(DateTime64(3, 'UTC')),
    peak_velocity           Nullable(Float64),
    baseline                Nullable(Float64),
    rise_hours              Nullable(Float64),
    half_life_hours         Nullable(Float64),
    theta                   Nullable(Float64),
    fit_r2                  Nullable(Float64),
    fit_note                String COMMENT 'why there is no fit, when there is none',
    incremental_engagements Float64,
    spend_amount            Nullable(Decimal(18, 4)),
    spend_currency          LowCardinality(String),
    status                  LowCardinality(String) COMMENT 'rising, decaying, settled, no-response',
    version                 UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, pulse_index)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS long_tail
(
    tenant             LowCardinality(String),
    post_id            String,
    as_of              DateTime64(3, 'UTC'),
    tail_share         Nullable(Float64),
    organic_tail_share Nullable(Float64),
    paid_tail_share    Nullable(Float64),
    projected_30d      Nullable(Float64),
    projected_30d_low  Nullable(Float64),
    projected_30d_high Nullable(Float64),
    projected_90d      Nullable(Float64),
    projected_90d_low  Nullable(Float64),
    projected_90d_high Nullable(Float64),
    loglinear_30d      Nullable(Float64),
    loglinear_90d      Nullable(Float64),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS alerts
(
    tenant      LowCardinality(String),
    alert_id    String,
    post_id     String,
    campaign_id String,
    alert       LowCardinality(String) COMMENT 'PostDecaying, PostStalled, PostUnavailable, SuspiciousEngagement',
    state       LowCardinality(String) COMMENT 'firing or resolved',
    severity    LowCardinality(String),
    starts_at   DateTime64(3, 'UTC'),
    ends_at     Nullable(DateTime64(3, 'UTC')),
    summary     String,
    evidence    String COMMENT 'JSON',
    suggestion  String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, alert_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS keyword_hours
(
    tenant  LowCardinality(String),
    post_id String,
    hour    DateTime('UTC'),
    term    String,
    kind    LowCardinality(String) COMMENT 'brand, intent, negative, other',
    count   UInt32,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, hour, kind, term)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS comment_hours
(
    tenant            LowCardinality(String),
    post_id           String,
    hour              DateTime('UTC'),
    comments          UInt32,
    intent_comments   UInt32,
    negative_comments UInt32,
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, post_id, hour)
SETTINGS non_replicated_deduplication_window = 1000;

-- ---------------------------------------------------------------- views
-- Rolled up at query time from FINAL rows: a replay cannot double-count.

-- One row per registered post (tombstones excluded) with its latest totals
-- (NULL totals = no snapshot yet, or a metric the platform does not expose).
CREATE OR REPLACE VIEW v_post_latest AS
SELECT
    p.tenant         AS tenant,
    p.post_id        AS post_id,
    p.platform       AS platform,
    p.campaign_id    AS campaign_id,
    p.creator_id     AS creator_id,
    p.creator_tier   AS creator_tier,
    p.content_form   AS content_form,
    p.bundle_id      AS bundle_id,
    p.published_at   AS published_at,
    p.tracking_end   AS tracking_end,
    t.as_of          AS as_of,
    t.status         AS status,
    t.views          AS views,
    t.likes          AS likes,
    t.comments       AS comments,
    t.shares         AS shares,
    t.saves          AS saves,
    t.searches       AS searches,
    t.engagements    AS engagements,
    dateDiff('second', p.published_at, t.as_of) / 3600 AS age_hours
FROM (SELECT * FROM posts FINAL WHERE deleted = 0) AS p
LEFT JOIN
(
    SELECT
        tenant,
        post_id,
        toNullable(as_of) AS as_of,
        toNullable(status) AS status,
        views, likes, comments, shares, saves, searches, engagements
    FROM post_totals FINAL
) AS t ON t.tenant = p.tenant AND t.post_id = p.post_id;

-- Totals per tenant, campaign and platform (sums skip NULLs; all-NULL stays NULL).
CREATE OR REPLACE VIEW v_campaign_platform_totals AS
SELECT
    v.tenant                     AS tenant,
    v.campaign_id                AS campaign_id,
    v.platform                   AS platform,
    count()                      AS posts,
    countIf(v.as_of IS NOT NULL) AS posts_observed,
    max(v.as_of)                 AS as_of,
    sum(v.views)                 AS views,
    sum(v.likes)                 AS likes,
    sum(v.comments)              AS comments,
    sum(v.shares)                AS shares,
    sum(v.saves)                 AS saves,
    sum(v.searches)              AS searches,
    sum(v.engagements)           AS engagements
FROM v_post_latest AS v
GROUP BY v.tenant, v.campaign_id, v.platform;
