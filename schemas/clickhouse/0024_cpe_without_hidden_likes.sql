-- 0024 A post whose likes are hidden has no CPE, and every CPE above it leaves it out.
--
-- Engagements are likes + comments + shares + saves over the metrics the
-- platform has. Every platform of the metric matrix has likes, but one post
-- can hide them: Instagram leaves like_count out, YouTube likeCount
-- (PLATFORMS.md), and the post's totals read likes NULL while its comments,
-- shares and saves count. Its engagements were those alone, and its CPE
-- (spend ÷ engagements) read as if the post had performed badly: two
-- Instagram posts of 1,000 CNY each, one with 2,000 likes + 500 other
-- engagements and one with its likes hidden and the same 500, read CPE 0.40
-- and 2.00, and their platform, tier, creator and campaign 2,000 ÷ 3,000 =
-- 0.67 rather than the 0.40 the posts that show their engagements give; the
-- tier's CPE quartiles and the creator's median CPE per platform moved with
-- them, and `tracker top --metric cpe` ranked the post last.
--
-- v_roi_post gains `likes_hidden` (1: the post has engagements but no likes,
-- on a platform of the matrix; 'generic' rows, from sources of any shape,
-- are never flagged) and its CPE is n/a then: cost per X over a NULL is n/a.
-- A group's CPE (v_roi_campaign, v_roi_by; tracker/report/queries.py
-- AGGREGATES and RATIO_SPEND follow) divides the spend of its posts whose
-- engagements are whole by their engagements, as 0007 made every ratio
-- cover the posts with both of its figures; `likes_hidden_posts` counts the
-- posts it leaves out for this. v_tier_distribution's CPE quartiles follow
-- v_roi_post, its engagements per 1,000 of spend (the same ratio, inverted)
-- leave those posts out too, and the creator scorecard's median CPE per
-- platform does; both count them (`likes_hidden_posts`). Engagement totals
-- are unchanged: they are what was observed. Other ratios are unchanged.
--
-- The views are restated whole: v_roi_post as 0018 left it, v_roi_campaign
-- and v_roi_by as 0012, v_tier_distribution and v_creator_scorecard as 0007
-- (applied and immutable), but for the columns above.

-- One row per post (as in 0018); CPE n/a when the post's likes are hidden.
CREATE OR REPLACE VIEW v_roi_post SQL SECURITY INVOKER AS
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
    if(likes_hidden = 1, NULL, spend / nullIf(toFloat64(f.engagements), 0)) AS cpe,
    spend / nullIf(toFloat64(f.saves), 0)                          AS cost_per_save,
    spend / nullIf(toFloat64(f.searches), 0)                       AS cost_per_search,
    spend / nullIf(toFloat64(f.intent_comments), 0)                AS cost_per_intent_comment,
    (c.emv - spend) / nullIf(spend, 0)                             AS emv_return,
    c.revenue / nullIf(spend, 0)                                   AS roas,
    tail_engagements / nullIf(toFloat64(f.engagements), 0)         AS tail_contribution,
    f.incremental / nullIf(c.pulse_spend, 0)                       AS heating_efficiency,
    c.emv_fx_missing AS emv_fx_missing, c.revenue_fx_missing AS revenue_fx_missing,
    c.emv_fx_missing_tenant AS emv_fx_missing_tenant, c.revenue_fx_missing_tenant AS revenue_fx_missing_tenant,
    -- engagements without the likes its platform exposes: hidden on this post (every platform of DESIGN's
    -- metric matrix has likes; 'generic' rows say nothing of what their source has)
    toUInt8(c.platform != 'generic' AND f.engagements IS NOT NULL AND f.likes IS NULL) AS likes_hidden
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
        countIf(scope != 'tenant' AND component != 'pulse' AND converted IS NULL)                       AS fx_missing,
        countIf(scope != 'tenant' AND component = 'emv' AND converted IS NULL)                          AS emv_fx_missing,
        countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL)                      AS revenue_fx_missing,
        countIf(scope != 'campaign' AND component = 'emv' AND converted IS NULL)                        AS emv_fx_missing_tenant,
        countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL)                    AS revenue_fx_missing_tenant
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
        SELECT p.tenant AS tenant, p.post_id AS post_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               toNullable(count()), toNullable(sumIf(p.incremental_engagements, s.priced = 1))
        FROM (SELECT tenant, post_id, pulse_index, incremental_engagements FROM pulses FINAL WHERE trigger = 'heating') AS p
        LEFT JOIN
        (
            -- The heated pulses with a spend: a node of theirs has a 'pulse' money line (v_money_lines:
            -- not cancelled, with an amount).
            SELECT DISTINCT k.tenant AS tenant, k.post_id AS post_id, k.pulse_index AS pulse_index, toUInt8(1) AS priced
            FROM
            (
                SELECT tenant, post_id, pulse_index, heating_id
                FROM pulses FINAL
                ARRAY JOIN heating_ids AS heating_id
                WHERE trigger = 'heating'
            ) AS k
            INNER JOIN
            (
                SELECT tenant, post_id, heating_id FROM heating_nodes FINAL
                WHERE status != 'cancelled' AND spend_amount IS NOT NULL
            ) AS h ON h.tenant = k.tenant AND h.post_id = k.post_id AND h.heating_id = k.heating_id
        ) AS s ON s.tenant = p.tenant AND s.post_id = p.post_id AND s.pulse_index = p.pulse_index
        GROUP BY p.tenant, p.post_id
    )
    GROUP BY tenant, post_id
) AS f ON f.tenant = c.tenant AND f.post_id = c.post_id;

-- ROI per campaign (as in 0012); CPE over the posts whose engagements are whole.
CREATE OR REPLACE VIEW v_roi_campaign SQL SECURITY INVOKER AS
SELECT
    r.tenant AS tenant, r.campaign_id AS campaign_id, any(r.campaign_name) AS campaign_name, any(r.currency) AS currency,
    count() AS posts, uniqExact(r.platform) AS platforms, uniqExact(r.creator_id) AS creators,
    if(countIf(r.fee IS NULL) > 0, NULL, ifNull(sum(r.fee), 0))                   AS fee,
    if(countIf(r.service_fee IS NULL) > 0, NULL, ifNull(sum(r.service_fee), 0))   AS service_fee,
    if(countIf(r.bundle_share IS NULL) > 0, NULL, ifNull(sum(r.bundle_share), 0)) AS bundle_share,
    if(countIf(r.extra IS NULL) > 0, NULL, ifNull(sum(r.extra), 0))               AS extra,
    if(countIf(r.heating IS NULL) > 0, NULL, ifNull(sum(r.heating), 0))           AS heating,
    if(any(cl.fx_missing) > 0, any(cl.spend), ifNull(any(cl.spend), 0)) AS campaign_level_spend,
    if(countIf(r.spend IS NULL) > 0 OR any(cl.spend) IS NULL AND any(cl.fx_missing) > 0, NULL,
       sum(r.spend) + ifNull(any(cl.spend), 0))                                        AS spend,
    sum(r.fx_missing) + ifNull(any(cl.fx_missing), 0)                                  AS fx_missing,
    sum(r.views) AS views, sum(r.likes) AS likes, sum(r.comments) AS comments, sum(r.shares) AS shares,
    sum(r.saves) AS saves, sum(r.searches) AS searches, sum(r.engagements) AS engagements,
    sum(r.intent_comments) AS intent_comments,
    if(countIf(r.emv_fx_missing > 0) > 0, NULL, sum(r.emv))                            AS emv,
    if(countIf(r.revenue_fx_missing > 0) > 0 OR any(cl.revenue_fx_missing) > 0, NULL,
       if(countIf(r.revenue IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
          ifNull(sum(r.revenue), 0) + ifNull(any(cl.revenue), 0)))                     AS revenue,
    countIf(r.emv_fx_missing > 0)                                                      AS emv_fx_missing_posts,
    countIf(r.revenue_fx_missing > 0)                                                  AS revenue_fx_missing_posts,
    countIf(r.likes_hidden = 1)                                                        AS likes_hidden_posts,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend IS NOT NULL)), 0)                                 AS cpm,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0)
        / nullIf(toFloat64(sumIf(r.engagements, r.spend IS NOT NULL AND r.likes_hidden = 0)), 0), NULL) AS cpe,
    sumIf(r.spend, r.saves IS NOT NULL) / nullIf(toFloat64(sumIf(r.saves, r.spend IS NOT NULL)), 0) AS cost_per_save,
    sumIf(r.spend, r.searches IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.searches, r.spend IS NOT NULL)), 0)                              AS cost_per_search,
    sumIf(r.spend, r.intent_comments IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.intent_comments, r.spend IS NOT NULL)), 0)                       AS cost_per_intent_comment,
    (sumIf(r.emv, r.spend IS NOT NULL) - sumIf(r.spend, r.emv IS NOT NULL))
        / nullIf(sumIf(r.spend, r.emv IS NOT NULL), 0)                                              AS emv_return,
    -- ROAS: the posts whose revenue and spend are known, plus the campaign-level money (n/a without its rates).
    if(any(cl.fx_missing) > 0, NULL,
       if(countIf(r.revenue IS NOT NULL AND r.spend IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
          ifNull(sumIf(r.revenue, r.spend IS NOT NULL), 0) + ifNull(any(cl.revenue), 0))
       / nullIf(roas_spend, 0))                                                                     AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0) AS tail_contribution,
    sumIf(r.heating_incremental, r.heating_pulse_spend IS NOT NULL)
        / nullIf(sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL), 0)                AS heating_efficiency,
    sumIf(r.spend, r.views IS NOT NULL)                                                             AS cpm_spend,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0), NULL)
                                                                                    AS cpe_spend,
    sumIf(r.spend, r.saves IS NOT NULL)                                                             AS cost_per_save_spend,
    sumIf(r.spend, r.searches IS NOT NULL)                                                          AS cost_per_search_spend,
    sumIf(r.spend, r.intent_comments IS NOT NULL)                                                   AS cost_per_intent_comment_spend,
    sumIf(r.spend, r.emv IS NOT NULL)                                                               AS emv_return_spend,
    if(any(cl.fx_missing) > 0, NULL,
       ifNull(sumIf(r.spend, r.revenue IS NOT NULL OR r.orders = 0), 0) + ifNull(any(cl.spend), 0)) AS roas_spend,
    sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL)                                 AS heating_efficiency_spend
FROM v_roi_post AS r
LEFT JOIN v_campaign_level_money AS cl ON cl.tenant = r.tenant AND cl.campaign_id = r.campaign_id
GROUP BY r.tenant, r.campaign_id;

-- ROI per post group (as in 0012); CPE over the posts whose engagements are whole.
CREATE OR REPLACE VIEW v_roi_by SQL SECURITY INVOKER AS
SELECT
    r.tenant AS tenant, r.campaign_id AS campaign_id, d.1 AS dimension, d.2 AS value,
    any(r.currency) AS currency, count() AS posts, uniqExact(r.platform) AS platforms,
    if(countIf(r.fee IS NULL) > 0, NULL, ifNull(sum(r.fee), 0))                   AS fee,
    if(countIf(r.service_fee IS NULL) > 0, NULL, ifNull(sum(r.service_fee), 0))   AS service_fee,
    if(countIf(r.bundle_share IS NULL) > 0, NULL, ifNull(sum(r.bundle_share), 0)) AS bundle_share,
    if(countIf(r.extra IS NULL) > 0, NULL, ifNull(sum(r.extra), 0))               AS extra,
    if(countIf(r.heating IS NULL) > 0, NULL, ifNull(sum(r.heating), 0))           AS heating,
    if(countIf(r.spend IS NULL) > 0, NULL, ifNull(sum(r.spend), 0))               AS spend,
    sum(r.fx_missing) AS fx_missing,
    sum(r.views) AS views, sum(r.likes) AS likes, sum(r.comments) AS comments, sum(r.shares) AS shares,
    sum(r.saves) AS saves, sum(r.searches) AS searches, sum(r.engagements) AS engagements,
    sum(r.intent_comments) AS intent_comments,
    if(countIf(r.emv_fx_missing > 0) > 0, NULL, sum(r.emv)) AS emv,
    if(countIf(r.revenue_fx_missing > 0) > 0, NULL, sum(r.revenue)) AS revenue,
    countIf(r.emv_fx_missing > 0) AS emv_fx_missing_posts, countIf(r.revenue_fx_missing > 0) AS revenue_fx_missing_posts,
    countIf(r.likes_hidden = 1) AS likes_hidden_posts,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend IS NOT NULL)), 0)                                 AS cpm,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0)
        / nullIf(toFloat64(sumIf(r.engagements, r.spend IS NOT NULL AND r.likes_hidden = 0)), 0), NULL) AS cpe,
    sumIf(r.spend, r.saves IS NOT NULL) / nullIf(toFloat64(sumIf(r.saves, r.spend IS NOT NULL)), 0) AS cost_per_save,
    sumIf(r.spend, r.searches IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.searches, r.spend IS NOT NULL)), 0)                              AS cost_per_search,
    sumIf(r.spend, r.intent_comments IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.intent_comments, r.spend IS NOT NULL)), 0)                       AS cost_per_intent_comment,
    (sumIf(r.emv, r.spend IS NOT NULL) - sumIf(r.spend, r.emv IS NOT NULL))
        / nullIf(sumIf(r.spend, r.emv IS NOT NULL), 0)                                              AS emv_return,
    sumIf(r.revenue, r.spend IS NOT NULL)
        / nullIf(sumIf(r.spend, r.revenue IS NOT NULL OR r.orders = 0), 0)                          AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0) AS tail_contribution,
    sumIf(r.heating_incremental, r.heating_pulse_spend IS NOT NULL)
        / nullIf(sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL), 0)                AS heating_efficiency,
    sumIf(r.spend, r.views IS NOT NULL)                                                             AS cpm_spend,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0), NULL)
                                                                                    AS cpe_spend,
    sumIf(r.spend, r.saves IS NOT NULL)                                                             AS cost_per_save_spend,
    sumIf(r.spend, r.searches IS NOT NULL)                                                          AS cost_per_search_spend,
    sumIf(r.spend, r.intent_comments IS NOT NULL)                                                   AS cost_per_intent_comment_spend,
    sumIf(r.spend, r.emv IS NOT NULL)                                                               AS emv_return_spend,
    sumIf(r.spend, r.revenue IS NOT NULL OR r.orders = 0)                                           AS roas_spend,
    sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL)                                 AS heating_efficiency_spend
FROM v_roi_post AS r
ARRAY JOIN [('platform', toString(r.platform)), ('tier', toString(r.creator_tier)), ('creator', r.creator_id),
            ('content_form', toString(r.content_form)), ('post', r.post_id)] AS d
GROUP BY r.tenant, r.campaign_id, d.1, d.2;

-- Tier comparison (as in 0007); engagements per 1,000 of spend leave out posts with hidden likes.
CREATE OR REPLACE VIEW v_tier_distribution SQL SECURITY INVOKER AS
SELECT
    tenant, campaign_id, platform, creator_tier, any(currency) AS currency, count() AS posts,
    if(countIf(spend IS NULL) > 0, NULL, sum(spend)) AS total_spend,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpm)) AS cpm_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpe)) AS cpe_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(views) * 1000 / nullIf(spend, 0))) AS views_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(if(likes_hidden = 1, NULL, toFloat64(engagements) * 1000 / nullIf(spend, 0)))) AS engagements_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(saves) * 1000 / nullIf(spend, 0))) AS saves_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(searches) * 1000 / nullIf(spend, 0))) AS searches_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(emv / nullIf(spend, 0))) AS emv_per_spend_q,
    countIf(likes_hidden = 1) AS likes_hidden_posts
FROM v_roi_post
GROUP BY tenant, campaign_id, platform, creator_tier;

-- Creator scorecard (as in 0007); median CPE over the posts whose engagements are whole.
CREATE OR REPLACE VIEW v_creator_scorecard SQL SECURITY INVOKER AS
SELECT
    s.tenant AS tenant, s.creator_id AS creator_id, any(cr.name) AS name, any(cr.tier) AS tier,
    any(cr.followers) AS followers, any(cr.tags) AS tags, any(s.currency) AS currency,
    length(groupUniqArrayArray(s.campaign_ids)) AS campaigns, sum(s.posts) AS posts,
    if(countIf(s.spend IS NULL) > 0, NULL, sum(s.spend)) AS spend,
    groupArray(s.platform) AS platforms,
    CAST(groupArray((s.platform, s.median_cpe)), 'Map(String, Nullable(Float64))') AS median_cpe,
    CAST(groupArray((s.platform, s.median_cpm)), 'Map(String, Nullable(Float64))') AS median_cpm,
    sum(s.saves_v) / nullIf(toFloat64(sum(s.views_s)), 0)           AS save_rate,
    sum(s.searches_v) / nullIf(toFloat64(sum(s.views_q)), 0)        AS search_rate,
    sum(s.intent) / nullIf(toFloat64(sum(s.analysed)), 0)           AS intent_rate,
    sum(s.tail_eng) / nullIf(toFloat64(sum(s.eng_t)), 0)            AS tail_share,
    sum(s.incremental) / nullIf(sum(s.pulse_spend), 0)              AS heating_response,
    sum(s.heating_pulses) AS heating_pulses,
    sum(s.likes_hidden_posts) AS likes_hidden_posts
FROM
(
    SELECT
        tenant, creator_id, platform, any(tenant_currency) AS currency, groupUniqArray(campaign_id) AS campaign_ids,
        count() AS posts,
        if(countIf(spend_tenant IS NULL) > 0, NULL, sum(spend_tenant)) AS spend,
        if(isNaN(quantileExactInclusive(0.5)(if(likes_hidden = 1, NULL, spend_tenant / nullIf(toFloat64(engagements), 0))) AS cpe_median), NULL, cpe_median) AS median_cpe,
        if(isNaN(quantileExactInclusive(0.5)(spend_tenant * 1000 / nullIf(toFloat64(views), 0)) AS cpm_median), NULL, cpm_median) AS median_cpm,
        sumIf(saves, views IS NOT NULL) AS saves_v, sumIf(views, saves IS NOT NULL) AS views_s,
        sumIf(searches, views IS NOT NULL) AS searches_v, sumIf(views, searches IS NOT NULL) AS views_q,
        sum(intent_comments) AS intent, sumIf(comments_analysed, intent_comments IS NOT NULL) AS analysed,
        sum(tail_engagements) AS tail_eng, sumIf(engagements, tail_share IS NOT NULL) AS eng_t,
        sumIf(heating_incremental, heating_pulse_spend_tenant IS NOT NULL) AS incremental,
        sumIf(heating_pulse_spend_tenant, heating_incremental IS NOT NULL) AS pulse_spend,
        sum(heating_pulses) AS heating_pulses, countIf(likes_hidden = 1) AS likes_hidden_posts
    FROM v_roi_post
    GROUP BY tenant, creator_id, platform
) AS s
LEFT JOIN (SELECT tenant, creator_id, name, tier, followers, tags FROM creators FINAL) AS cr
    ON cr.tenant = s.tenant AND cr.creator_id = s.creator_id
GROUP BY s.tenant, s.creator_id;
