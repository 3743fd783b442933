-- 0005 ROI views: a smaller plan and cheaper money steps for the campaign ROI query.
--
-- Measured on the embedded engine (tests/bench/bench_roi.py): the campaign
-- ROI query never reads snapshots (post_totals holds the latest counters);
-- about half of its time is the engine planning the nested views (on one
-- core, for every query), most of the rest converting and summing money
-- lines. Replaced here with the same figures (tests/integration/test_roi.py
-- keeps them equal to v_post_money, v_money and comment_hours); the engine
-- CPU per campaign report fell by about 1.2×:
--   * v_fx_pairs reads fx_rates once (both directions by ARRAY JOIN) instead
--     of twice in a UNION.
--   * EMV (v_money_lines) resolves the unit value once per tenant, platform,
--     publish day and metric, then joins it to the posts' metrics, instead of
--     joining every metric of every post to every unit value and keeping the
--     best one per post and metric.
--   * v_roi_post converts and sums a post's money lines in one aggregation
--     that starts from the post (v_post_context), instead of converting every
--     line of the store in v_money (three context joins per line), summing it
--     per post in v_post_money and joining that back to the post; comments
--     and intent comments come from comments FINAL directly instead of the
--     hourly comment_hours view (which also matches brand terms in every
--     comment's text). v_money and v_post_money stay as they are for
--     analysts.
--   * Campaign-level money (v_campaign_money, new) converts only the lines
--     that belong to no post, instead of filtering v_money.
-- Replays still change no figure: every input is read with FINAL, and every
-- roll-up is computed at query time.

-- Rates usable in both directions (1 base = rate quote).
CREATE OR REPLACE VIEW v_fx_pairs AS
SELECT f.tenant AS tenant, d.1 AS base, d.2 AS quote, f.rate_date AS rate_date, d.3 AS rate
FROM fx_rates AS f FINAL
ARRAY JOIN [(toString(f.base), toString(f.quote), toFloat64(f.rate)),
            (toString(f.quote), toString(f.base), 1 / toFloat64(f.rate))] AS d
WHERE f.rate > 0;

-- Every amount to convert (as in 0003); EMV resolves unit values once per tenant,
-- platform, day and metric.
CREATE OR REPLACE VIEW v_money_lines AS
SELECT tenant, campaign_id, post_id, bundle_id, if(kind = 'bundle', 'extra', toString(kind)) AS component,
       cost_id AS line_id, toFloat64(amount) AS amount, toString(currency) AS currency, cost_date AS money_date
FROM cost_lines FINAL
WHERE NOT (kind = 'bundle' AND bundle_id != '')
UNION ALL
SELECT d.tenant AS tenant, d.campaign_id AS campaign_id, if(s.has_share = 1, s.post_id, '') AS post_id,
       d.bundle_id AS bundle_id, 'bundle' AS component, d.line_id AS line_id,
       if(s.has_share = 1, d.amount * s.share, d.amount) AS amount, d.currency AS currency, d.money_date AS money_date
FROM
(
    SELECT tenant, campaign_id, bundle_id, bundle_id AS line_id, toFloat64(amount) AS amount,
           toString(currency) AS currency, cost_date AS money_date
    FROM bundles FINAL
    UNION ALL
    SELECT tenant, campaign_id, bundle_id, cost_id AS line_id, toFloat64(amount) AS amount,
           toString(currency) AS currency, cost_date AS money_date
    FROM cost_lines FINAL
    WHERE kind = 'bundle' AND bundle_id != ''
) AS d
LEFT JOIN (SELECT tenant, bundle_id, post_id, share, toUInt8(1) AS has_share FROM v_bundle_shares) AS s
    ON s.tenant = d.tenant AND s.bundle_id = d.bundle_id
UNION ALL
SELECT tenant, campaign_id, post_id, '' AS bundle_id, 'heating' AS component, heating_id AS line_id,
       toFloat64(assumeNotNull(spend_amount)) AS amount, toString(spend_currency) AS currency,
       toDate(start_at) AS money_date
FROM heating_nodes FINAL
WHERE status = 'executed' AND spend_amount IS NOT NULL
UNION ALL
SELECT tenant, key_campaign_id AS campaign_id, ifNull(post_id, '') AS post_id, '' AS bundle_id,
       'revenue' AS component, order_id AS line_id, toFloat64(revenue) AS amount, toString(currency) AS currency,
       toDate(ordered_at) AS money_date
FROM v_sales_attributed
WHERE ifNull(post_id, '') != '' OR key_campaign_id != ''
UNION ALL
SELECT tenant, '' AS campaign_id, post_id, '' AS bundle_id, 'pulse' AS component,
       concat(post_id, '#', toString(pulse_index)) AS line_id, toFloat64(assumeNotNull(spend_amount)) AS amount,
       toString(spend_currency) AS currency, toDate(onset) AS money_date
FROM pulses FINAL
WHERE trigger = 'heating' AND spend_amount IS NOT NULL
UNION ALL
SELECT m.tenant AS tenant, '' AS campaign_id, m.post_id AS post_id, '' AS bundle_id, 'emv' AS component,
       concat(m.post_id, '#emv') AS line_id, sum(toFloat64(m.value) * u.unit_value) AS amount,
       u.currency AS currency, any(m.day) AS money_date
FROM
(
    SELECT t.tenant AS tenant, t.post_id AS post_id, t.platform AS platform, toDate(p.published_at) AS day,
           mv.1 AS metric, mv.2 AS value
    FROM (SELECT * FROM post_totals FINAL) AS t
    INNER JOIN (SELECT tenant, post_id, published_at FROM posts FINAL WHERE deleted = 0) AS p
        ON p.tenant = t.tenant AND p.post_id = t.post_id
    ARRAY JOIN [('views', t.views), ('likes', t.likes), ('comments', t.comments), ('shares', t.shares),
                ('saves', t.saves), ('searches', t.searches)] AS mv
    WHERE mv.2 IS NOT NULL
) AS m
INNER JOIN
(
    -- The unit value of each metric for one tenant, platform and day: the
    -- tenant's own before the global one (tenant ''), a platform's own before
    -- the default (platform ''), then the latest valid_from on or before the day.
    SELECT k.tenant AS tenant, k.platform AS platform, k.day AS day, u.metric AS metric,
           argMax((toFloat64(u.unit_value), toString(u.currency)), (u.tenant != '', u.platform != '', u.valid_from)) AS unit,
           unit.1 AS unit_value, unit.2 AS currency
    FROM
    (
        SELECT DISTINCT t.tenant AS tenant, t.platform AS platform, toDate(p.published_at) AS day
        FROM (SELECT tenant, post_id, platform FROM post_totals FINAL) AS t
        INNER JOIN (SELECT tenant, post_id, published_at FROM posts FINAL WHERE deleted = 0) AS p
            ON p.tenant = t.tenant AND p.post_id = t.post_id
    ) AS k
    CROSS JOIN (SELECT * FROM emv_unit_values FINAL) AS u
    WHERE u.tenant IN (k.tenant, '') AND u.platform IN (k.platform, '') AND u.valid_from <= k.day
    GROUP BY k.tenant, k.platform, k.day, u.metric
) AS u ON u.tenant = m.tenant AND u.platform = m.platform AND u.day = m.day AND u.metric = m.metric
GROUP BY m.tenant, m.post_id, u.currency;

-- One row per post: costs, outcomes and every ratio (campaign's reporting
-- currency; *_tenant columns in the tenant's). Money: each of the post's
-- lines (v_money_lines) converted at its date, per scope as in v_money, and
-- summed as in v_post_money; a post without lines has one empty line
-- (component '', converted 0) so that it keeps its row.
CREATE OR REPLACE VIEW v_roi_post AS
SELECT
    c.tenant AS tenant, c.campaign_id AS campaign_id, c.campaign_name AS campaign_name, c.post_id AS post_id,
    c.platform AS platform, c.creator_id AS creator_id, c.creator_tier AS creator_tier,
    c.content_form AS content_form, c.bundle_id AS bundle_id, c.published_at AS published_at, c.url AS url,
    c.time_zone AS time_zone, c.currency AS currency, c.tenant_currency AS tenant_currency,
    if(c.fx_missing > 0, c.money_fee, ifNull(c.money_fee, 0))                    AS fee,
    if(c.fx_missing > 0, c.money_service_fee, ifNull(c.money_service_fee, 0))    AS service_fee,
    if(c.fx_missing > 0, c.money_bundle_share, ifNull(c.money_bundle_share, 0))  AS bundle_share,
    if(c.fx_missing > 0, c.money_extra, ifNull(c.money_extra, 0))                AS extra,
    if(c.fx_missing > 0, c.money_heating, ifNull(c.money_heating, 0))            AS heating,
    fee + service_fee + bundle_share + extra + heating                           AS spend,
    if(c.fx_missing > 0, c.money_spend_tenant, ifNull(c.money_spend_tenant, 0))  AS spend_tenant,
    c.fx_missing                                                                 AS fx_missing,
    f.as_of AS as_of, f.views AS views, f.likes AS likes, f.comments AS comments, f.shares AS shares,
    f.saves AS saves, f.searches AS searches, f.engagements AS engagements,
    f.comments_analysed AS comments_analysed, f.intent_comments AS intent_comments,
    c.emv AS emv, c.emv_tenant AS emv_tenant,
    c.revenue AS revenue, c.revenue_tenant AS revenue_tenant, c.orders AS orders,
    f.tail_share AS tail_share, f.tail_share * toFloat64(f.engagements) AS tail_engagements,
    f.pulses AS heating_pulses, f.incremental AS heating_incremental,
    c.pulse_spend AS heating_pulse_spend, c.pulse_spend_tenant AS heating_pulse_spend_tenant,
    spend * 1000 / nullIf(toFloat64(f.views), 0)                   AS cpm,
    spend / nullIf(toFloat64(f.engagements), 0)                    AS cpe,
    spend / nullIf(toFloat64(f.saves), 0)                          AS cost_per_save,
    spend / nullIf(toFloat64(f.searches), 0)                       AS cost_per_search,
    spend / nullIf(toFloat64(f.intent_comments), 0)                AS cost_per_intent_comment,
    (c.emv - spend) / nullIf(spend, 0)                             AS emv_return,
    c.revenue / nullIf(spend, 0)                                   AS roas,
    tail_engagements / nullIf(toFloat64(f.engagements), 0)         AS tail_contribution,
    f.incremental / nullIf(c.pulse_spend, 0)                       AS heating_efficiency
FROM
(
    SELECT
        tenant, campaign_id, post_id, any(campaign_name) AS campaign_name, any(platform) AS platform,
        any(creator_id) AS creator_id, any(creator_tier) AS creator_tier, any(content_form) AS content_form,
        any(bundle_id) AS bundle_id, any(published_at) AS published_at, any(url) AS url,
        any(time_zone) AS time_zone, any(reporting_currency) AS currency, any(tenant_currency) AS tenant_currency,
        if(countIf(scope != 'tenant' AND component = 'fee' AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'tenant' AND component = 'fee'), 0))                        AS money_fee,
        if(countIf(scope != 'tenant' AND component = 'service_fee' AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'tenant' AND component = 'service_fee'), 0))                AS money_service_fee,
        if(countIf(scope != 'tenant' AND component = 'bundle' AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'tenant' AND component = 'bundle'), 0))                     AS money_bundle_share,
        if(countIf(scope != 'tenant' AND component = 'extra' AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'tenant' AND component = 'extra'), 0))                      AS money_extra,
        if(countIf(scope != 'tenant' AND component = 'heating' AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'tenant' AND component = 'heating'), 0))                    AS money_heating,
        if(countIf(scope != 'campaign' AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating')
                   AND converted IS NULL) > 0, NULL,
           ifNull(sumIf(converted, scope != 'campaign'
                        AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating')), 0))     AS money_spend_tenant,
        countIf(scope != 'tenant' AND component = 'revenue')                                            AS orders,
        if(orders = 0 OR countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'tenant' AND component = 'revenue'))                               AS revenue,
        if(orders = 0 OR countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'campaign' AND component = 'revenue'))                                 AS revenue_tenant,
        if(countIf(scope != 'tenant' AND component = 'emv') = 0
           OR countIf(scope != 'tenant' AND component = 'emv' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'tenant' AND component = 'emv'))                                   AS emv,
        if(countIf(scope != 'campaign' AND component = 'emv') = 0
           OR countIf(scope != 'campaign' AND component = 'emv' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'campaign' AND component = 'emv'))                                     AS emv_tenant,
        if(countIf(scope != 'tenant' AND component = 'pulse') = 0
           OR countIf(scope != 'tenant' AND component = 'pulse' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'tenant' AND component = 'pulse'))                                 AS pulse_spend,
        if(countIf(scope != 'campaign' AND component = 'pulse') = 0
           OR countIf(scope != 'campaign' AND component = 'pulse' AND converted IS NULL) > 0, NULL,
           sumIf(converted, scope != 'campaign' AND component = 'pulse'))                                   AS pulse_spend_tenant,
        countIf(scope != 'tenant' AND component != 'pulse' AND converted IS NULL)                       AS fx_missing
    FROM
    (
        SELECT
            x.tenant AS tenant, x.campaign_id AS campaign_id, x.post_id AS post_id,
            x.campaign_name AS campaign_name, x.platform AS platform, x.creator_id AS creator_id,
            x.creator_tier AS creator_tier, x.content_form AS content_form, x.bundle_id AS bundle_id,
            x.published_at AS published_at, x.url AS url, x.time_zone AS time_zone,
            x.reporting_currency AS reporting_currency, x.tenant_currency AS tenant_currency,
            x.component AS component, x.scope AS scope,
            if(x.component = '', 0.0,
               x.amount * multiIf(x.currency = x.target, 1.0, tr.rate > 0, tr.rate, gr.rate > 0, gr.rate, NULL)) AS converted
        FROM
        (
            SELECT
                p.tenant AS tenant, p.campaign_id AS campaign_id, p.post_id AS post_id,
                p.campaign_name AS campaign_name, p.platform AS platform, p.creator_id AS creator_id,
                p.creator_tier AS creator_tier, p.content_form AS content_form, p.bundle_id AS bundle_id,
                p.published_at AS published_at, p.url AS url, p.time_zone AS time_zone,
                p.reporting_currency AS reporting_currency, p.tenant_currency AS tenant_currency,
                l.component AS component, l.amount AS amount, l.currency AS currency, l.money_date AS money_date,
                st.1 AS scope, st.2 AS target
            FROM v_post_context AS p
            LEFT JOIN
            (
                SELECT tenant, post_id, component, amount, currency, money_date FROM v_money_lines WHERE post_id != ''
            ) AS l ON l.tenant = p.tenant AND l.post_id = p.post_id
            ARRAY JOIN if(p.reporting_currency = p.tenant_currency, [('both', p.reporting_currency)],
                          [('campaign', p.reporting_currency), ('tenant', p.tenant_currency)]) AS st
        ) AS x
        ASOF LEFT JOIN (SELECT * FROM v_fx_pairs WHERE tenant != '') AS tr
            ON tr.tenant = x.tenant AND tr.base = x.currency AND tr.quote = x.target AND x.money_date >= tr.rate_date
        ASOF LEFT JOIN (SELECT base, quote, rate_date, rate FROM v_fx_pairs WHERE tenant = '') AS gr
            ON gr.base = x.currency AND gr.quote = x.target AND x.money_date >= gr.rate_date
    )
    GROUP BY tenant, campaign_id, post_id
) AS c
LEFT JOIN
(
    -- Outcomes per post: latest totals, comments analysed, long tail, heating pulses.
    SELECT tenant, post_id, any(as_of) AS as_of, any(views) AS views, any(likes) AS likes, any(comments) AS comments,
           any(shares) AS shares, any(saves) AS saves, any(searches) AS searches, any(engagements) AS engagements,
           any(comments_analysed) AS comments_analysed, any(intent_comments) AS intent_comments,
           any(tail_share) AS tail_share, any(pulses) AS pulses, any(incremental) AS incremental
    FROM
    (
        SELECT tenant, post_id, toNullable(as_of) AS as_of, views, likes, comments, shares, saves, searches, engagements,
               CAST(NULL, 'Nullable(UInt64)') AS comments_analysed, CAST(NULL, 'Nullable(UInt64)') AS intent_comments,
               CAST(NULL, 'Nullable(Float64)') AS tail_share, CAST(NULL, 'Nullable(UInt64)') AS pulses,
               CAST(NULL, 'Nullable(Float64)') AS incremental
        FROM post_totals FINAL
        UNION ALL
        SELECT tenant, post_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               toNullable(count()), toNullable(countIf(intent = 1)), NULL, NULL, NULL
        FROM comments FINAL GROUP BY tenant, post_id
        UNION ALL
        SELECT tenant, post_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, tail_share, NULL, NULL
        FROM long_tail FINAL
        UNION ALL
        SELECT tenant, post_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               toNullable(count()), toNullable(sum(incremental_engagements))
        FROM pulses FINAL WHERE trigger = 'heating' GROUP BY tenant, post_id
    )
    GROUP BY tenant, post_id
) AS f ON f.tenant = c.tenant AND f.post_id = c.post_id;

-- Campaign-level money: the lines that belong to no post (cost lines without
-- a post, bundles none of whose posts is registered, heating without a post,
-- sales attributed to a campaign only), converted as in v_money. The same
-- rows as v_money WHERE post_id = '' AND component IN ('fee', 'service_fee',
-- 'bundle', 'extra', 'heating', 'revenue'), without converting every post's
-- lines first.
CREATE OR REPLACE VIEW v_campaign_money AS
SELECT
    x.tenant AS tenant, x.campaign_id AS campaign_id, x.post_id AS post_id, x.bundle_id AS bundle_id,
    x.component AS component, x.line_id AS line_id, x.amount AS amount, x.currency AS currency,
    x.money_date AS money_date, x.scope AS scope, x.target AS target,
    multiIf(x.currency = x.target, 1.0, tr.rate > 0, tr.rate, gr.rate > 0, gr.rate, NULL) AS rate,
    x.amount * rate AS converted
FROM
(
    SELECT l.tenant AS tenant, l.campaign_id AS campaign_id, l.post_id AS post_id, l.bundle_id AS bundle_id,
           l.component AS component, l.line_id AS line_id, l.amount AS amount, l.currency AS currency,
           l.money_date AS money_date, st.1 AS scope, st.2 AS target,
           coalesce(nullIf(c.reporting_currency, ''), nullIf(t.reporting_currency, ''), 'CNY') AS campaign_currency,
           coalesce(nullIf(t.reporting_currency, ''), 'CNY') AS tenant_currency
    FROM
    (
        SELECT tenant, campaign_id, post_id, bundle_id, if(kind = 'bundle', 'extra', toString(kind)) AS component,
               cost_id AS line_id, toFloat64(amount) AS amount, toString(currency) AS currency, cost_date AS money_date
        FROM cost_lines FINAL
        WHERE post_id = '' AND NOT (kind = 'bundle' AND bundle_id != '')
        UNION ALL
        SELECT d.tenant AS tenant, d.campaign_id AS campaign_id, '' AS post_id, d.bundle_id AS bundle_id,
               'bundle' AS component, d.line_id AS line_id, d.amount AS amount, d.currency AS currency,
               d.money_date AS money_date
        FROM
        (
            SELECT tenant, campaign_id, bundle_id, bundle_id AS line_id, toFloat64(amount) AS amount,
                   toString(currency) AS currency, cost_date AS money_date
            FROM bundles FINAL
            UNION ALL
            SELECT tenant, campaign_id, bundle_id, cost_id AS line_id, toFloat64(amount) AS amount,
                   toString(currency) AS currency, cost_date AS money_date
            FROM cost_lines FINAL
            WHERE kind = 'bundle' AND bundle_id != ''
        ) AS d
        LEFT ANTI JOIN (SELECT DISTINCT tenant, bundle_id FROM posts FINAL WHERE deleted = 0 AND bundle_id != '') AS b
            ON b.tenant = d.tenant AND b.bundle_id = d.bundle_id
        UNION ALL
        SELECT tenant, campaign_id, post_id, '' AS bundle_id, 'heating' AS component, heating_id AS line_id,
               toFloat64(assumeNotNull(spend_amount)) AS amount, toString(spend_currency) AS currency,
               toDate(start_at) AS money_date
        FROM heating_nodes FINAL
        WHERE post_id = '' AND status = 'executed' AND spend_amount IS NOT NULL
        UNION ALL
        SELECT tenant, key_campaign_id AS campaign_id, '' AS post_id, '' AS bundle_id, 'revenue' AS component,
               order_id AS line_id, toFloat64(revenue) AS amount, toString(currency) AS currency,
               toDate(ordered_at) AS money_date
        FROM (SELECT * FROM v_sales_attributed WHERE ifNull(post_id, '') = '' AND key_campaign_id != '')
    ) AS l
    LEFT JOIN (SELECT tenant, campaign_id, reporting_currency FROM campaigns FINAL) AS c
        ON c.tenant = l.tenant AND c.campaign_id = l.campaign_id
    LEFT JOIN (SELECT tenant, reporting_currency FROM tenants FINAL) AS t ON t.tenant = l.tenant
    ARRAY JOIN if(campaign_currency = tenant_currency, [('both', campaign_currency)],
                  [('campaign', campaign_currency), ('tenant', tenant_currency)]) AS st
) AS x
ASOF LEFT JOIN (SELECT * FROM v_fx_pairs WHERE tenant != '') AS tr
    ON tr.tenant = x.tenant AND tr.base = x.currency AND tr.quote = x.target AND x.money_date >= tr.rate_date
ASOF LEFT JOIN (SELECT base, quote, rate_date, rate FROM v_fx_pairs WHERE tenant = '') AS gr
    ON gr.base = x.currency AND gr.quote = x.target AND x.money_date >= gr.rate_date;

-- Money of a campaign that belongs to no post (as in 0003), from v_campaign_money.
CREATE OR REPLACE VIEW v_campaign_level_money AS
SELECT
    tenant, campaign_id,
    if(countIf(scope != 'tenant' AND component != 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'tenant' AND component != 'revenue'))                           AS spend,
    if(countIf(scope != 'tenant' AND component = 'revenue') = 0
       OR countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'tenant' AND component = 'revenue'))                            AS revenue,
    if(countIf(scope != 'campaign' AND component != 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'campaign' AND component != 'revenue'))                         AS spend_tenant,
    if(countIf(scope != 'campaign' AND component = 'revenue') = 0
       OR countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'campaign' AND component = 'revenue'))                          AS revenue_tenant,
    countIf(scope != 'tenant' AND converted IS NULL)                                             AS fx_missing,
    countIf(scope != 'campaign' AND converted IS NULL)                                           AS fx_missing_tenant
FROM v_campaign_money
GROUP BY tenant, campaign_id;
