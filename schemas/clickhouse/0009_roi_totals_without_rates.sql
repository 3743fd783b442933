-- 0009 ROI views: a row's EMV and revenue are n/a, not short, when one of its
-- posts lacks an FX rate.
--
-- Until now a group's (and a campaign's, a tenant's) EMV and revenue were
-- plain sums, which skip n/a: a post whose EMV unit value or one of whose
-- orders was in a currency without a rate to the reporting currency dropped
-- out of its row's total without a word, while the spend of the same row read
-- n/a for the same cause. Now EMV and revenue follow spend: n/a as soon as
-- one post's (or, in a campaign's or tenant's total, one campaign-level
-- order's) could not be converted, and every row says how many of its posts
-- lack a rate (`emv_fx_missing_posts`, `revenue_fx_missing_posts`) so that an
-- n/a for want of a rate reads apart from one for want of data. A post's EMV
-- stays n/a when no unit value applies and its revenue when it has no order;
-- those leave the total as before. Ratios are unchanged (0007: they cover
-- the posts whose both figures are known).
--
-- v_roi_post gains the amounts behind its EMV and revenue that have no rate
-- (`emv_fx_missing`, `revenue_fx_missing`, and `*_fx_missing_tenant` for the
-- tenant's currency); v_campaign_level_money the campaign-level orders that
-- have none (`revenue_fx_missing`, `revenue_fx_missing_tenant`). Every other
-- column and figure is as in 0005 and 0007, which are applied and immutable.
-- tracker/report/queries.py AGGREGATES are v_roi_by's figures.

-- One row per post (as in 0005, plus the EMV and revenue amounts without a
-- rate): costs, outcomes and every ratio (campaign's reporting
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
    f.incremental / nullIf(c.pulse_spend, 0)                       AS heating_efficiency,
    c.emv_fx_missing AS emv_fx_missing, c.revenue_fx_missing AS revenue_fx_missing,
    c.emv_fx_missing_tenant AS emv_fx_missing_tenant, c.revenue_fx_missing_tenant AS revenue_fx_missing_tenant
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
        SELECT tenant, post_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               toNullable(count()), toNullable(sum(incremental_engagements))
        FROM pulses FINAL WHERE trigger = 'heating' GROUP BY tenant, post_id
    )
    GROUP BY tenant, post_id
) AS f ON f.tenant = c.tenant AND f.post_id = c.post_id;

-- Money of a campaign that belongs to no post (as in 0005), with the orders that have no rate.
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
    countIf(scope != 'campaign' AND converted IS NULL)                                           AS fx_missing_tenant,
    countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL)                   AS revenue_fx_missing,
    countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL)                 AS revenue_fx_missing_tenant
FROM v_campaign_money
GROUP BY tenant, campaign_id;

-- ROI per campaign: the posts' figures plus the campaign-level money.
CREATE OR REPLACE VIEW v_roi_campaign AS
SELECT
    r.tenant AS tenant, r.campaign_id AS campaign_id, any(r.campaign_name) AS campaign_name, any(r.currency) AS currency,
    count() AS posts, uniqExact(r.platform) AS platforms, uniqExact(r.creator_id) AS creators,
    sum(r.fee) AS fee, sum(r.service_fee) AS service_fee, sum(r.bundle_share) AS bundle_share, sum(r.extra) AS extra,
    sum(r.heating) AS heating, any(cl.spend) AS campaign_level_spend,
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
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend IS NOT NULL)), 0)                                 AS cpm,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.engagements, r.spend IS NOT NULL)), 0), NULL)                    AS cpe,
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
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL), NULL)                  AS cpe_spend,
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

-- ROI per post group, one view for every dimension: `dimension` is one of
-- platform, tier, creator, content_form, post; `value` is its value.
-- Campaign-level money is not allocated here (see v_roi_campaign).
-- tracker/report/queries.py AGGREGATES and RATIO_SPEND are these figures.
CREATE OR REPLACE VIEW v_roi_by AS
SELECT
    r.tenant AS tenant, r.campaign_id AS campaign_id, d.1 AS dimension, d.2 AS value,
    any(r.currency) AS currency, count() AS posts, uniqExact(r.platform) AS platforms,
    sum(r.fee) AS fee, sum(r.service_fee) AS service_fee, sum(r.bundle_share) AS bundle_share, sum(r.extra) AS extra,
    sum(r.heating) AS heating, if(countIf(r.spend IS NULL) > 0, NULL, sum(r.spend)) AS spend,
    sum(r.fx_missing) AS fx_missing,
    sum(r.views) AS views, sum(r.likes) AS likes, sum(r.comments) AS comments, sum(r.shares) AS shares,
    sum(r.saves) AS saves, sum(r.searches) AS searches, sum(r.engagements) AS engagements,
    sum(r.intent_comments) AS intent_comments,
    if(countIf(r.emv_fx_missing > 0) > 0, NULL, sum(r.emv)) AS emv,
    if(countIf(r.revenue_fx_missing > 0) > 0, NULL, sum(r.revenue)) AS revenue,
    countIf(r.emv_fx_missing > 0) AS emv_fx_missing_posts, countIf(r.revenue_fx_missing > 0) AS revenue_fx_missing_posts,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend IS NOT NULL)), 0)                                 AS cpm,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.engagements, r.spend IS NOT NULL)), 0), NULL)                    AS cpe,
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
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL), NULL)                  AS cpe_spend,
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

-- ROI per tenant across its campaigns, in the tenant's reporting currency.
CREATE OR REPLACE VIEW v_roi_tenant AS
SELECT
    r.tenant AS tenant, any(r.tenant_currency) AS currency, uniqExact(r.campaign_id) AS campaigns, count() AS posts,
    if(countIf(r.spend_tenant IS NULL) > 0 OR any(cl.missing) > 0, NULL,
       sum(r.spend_tenant) + ifNull(any(cl.total), 0))                                             AS spend,
    sum(r.views) AS views, sum(r.engagements) AS engagements, sum(r.saves) AS saves, sum(r.searches) AS searches,
    sum(r.intent_comments) AS intent_comments,
    if(countIf(r.emv_fx_missing_tenant > 0) > 0, NULL, sum(r.emv_tenant))                          AS emv,
    if(countIf(r.revenue_fx_missing_tenant > 0) > 0 OR any(cl.revenue_fx_missing) > 0, NULL,
       if(countIf(r.revenue_tenant IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
          ifNull(sum(r.revenue_tenant), 0) + ifNull(any(cl.revenue), 0)))                          AS revenue,
    countIf(r.emv_fx_missing_tenant > 0)                                                           AS emv_fx_missing_posts,
    countIf(r.revenue_fx_missing_tenant > 0)                                                       AS revenue_fx_missing_posts,
    sumIf(r.spend_tenant, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend_tenant IS NOT NULL)), 0)                         AS cpm,
    sumIf(r.spend_tenant, r.saves IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.saves, r.spend_tenant IS NOT NULL)), 0)                         AS cost_per_save,
    sumIf(r.spend_tenant, r.searches IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.searches, r.spend_tenant IS NOT NULL)), 0)                      AS cost_per_search,
    sumIf(r.spend_tenant, r.intent_comments IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.intent_comments, r.spend_tenant IS NOT NULL)), 0)               AS cost_per_intent_comment,
    (sumIf(r.emv_tenant, r.spend_tenant IS NOT NULL) - sumIf(r.spend_tenant, r.emv_tenant IS NOT NULL))
        / nullIf(sumIf(r.spend_tenant, r.emv_tenant IS NOT NULL), 0)                               AS emv_return,
    if(any(cl.fx_missing) > 0, NULL,
       if(countIf(r.revenue_tenant IS NOT NULL AND r.spend_tenant IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
          ifNull(sumIf(r.revenue_tenant, r.spend_tenant IS NOT NULL), 0) + ifNull(any(cl.revenue), 0))
       / nullIf(ifNull(sumIf(r.spend_tenant, r.revenue_tenant IS NOT NULL OR r.orders = 0), 0)
                + ifNull(any(cl.total), 0), 0))                                                    AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0)  AS tail_contribution,
    sumIf(r.heating_incremental, r.heating_pulse_spend_tenant IS NOT NULL)
        / nullIf(sumIf(r.heating_pulse_spend_tenant, r.heating_incremental IS NOT NULL), 0)        AS heating_efficiency
FROM v_roi_post AS r
LEFT JOIN
(
    SELECT tenant, sum(spend_tenant) AS total, countIf(spend_tenant IS NULL) AS missing,
           if(countIf(revenue_tenant IS NOT NULL) = 0, NULL, sum(revenue_tenant)) AS revenue,
           sum(fx_missing_tenant) AS fx_missing, sum(revenue_fx_missing_tenant) AS revenue_fx_missing
    FROM v_campaign_level_money GROUP BY tenant
) AS cl ON cl.tenant = r.tenant
GROUP BY r.tenant;

