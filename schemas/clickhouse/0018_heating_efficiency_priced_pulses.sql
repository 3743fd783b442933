-- 0018 Heating efficiency divides the incremental engagements of the heated
-- pulses that have a spend by that spend.
--
-- A heated pulse's spend is that of its nodes, cancelled ones not (0012). A
-- node cancelled after the stream read it leaves its pulse standing (the
-- pulse's rise was measured), with no node to price it: v_heating_efficiency
-- reads its spend and efficiency n/a. v_roi_post, though, summed the
-- incremental engagements of every heated pulse of the post over the spend of
-- the priced ones only: a post with a 2,000 CNY pulse of 1,500 incremental
-- engagements and a cancelled node's pulse of 800 read 2,300 ÷ 2,000 = 1.15
-- engagements per CNY where the report's Heating sheet shows 0.75, and so did
-- every row above it (v_roi_by, v_roi_campaign, v_roi_tenant, tracker roi,
-- the report's summary) and the creator scorecard's heating response.
-- heating_incremental now sums the pulses with a priced node only, so each
-- ratio divides the incremental engagements of the pulses whose spend it
-- divides. heating_pulses still counts every heated pulse.
--
-- v_roi_post is restated whole (as 0009 left it, applied and immutable) but
-- for that sum; the views over it follow at query time.

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
