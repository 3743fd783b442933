-- 0003 ROI views (DESIGN.md "Analytics": ROI and creator scorecard).
--
-- Every figure is aggregated at query time from FINAL rows, so a replay that
-- re-emits rows changes nothing. Conventions:
--   * Reporting currency of a campaign: campaigns.reporting_currency, else
--     the tenant's (tenants.reporting_currency), else CNY. `*_tenant`
--     columns are in the tenant's reporting currency (tenant roll-ups,
--     creator scorecards).
--   * Conversion: at the money's date (cost_date; a heating node's start; an
--     order's date; a post's publish date for EMV; a pulse's onset), with the
--     latest fx_rates row on or before that date, tenant's own rate before
--     the global one (tenant ''), direct (base→quote) or inverse (1 ÷ rate).
--     No rate → the amount is NULL and counted in `fx_missing`, and the
--     spend it belongs to is NULL ("n/a"), never silently short.
--   * Spend = fee + service fee + bundle share + extra costs + heating, where
--     heating = executed heating nodes + cost lines of kind 'heating' (spend
--     invoiced without a node). A node's spend is never also a cost line.
--   * A metric a platform does not expose is NULL; every ratio whose
--     denominator is NULL or 0 is NULL ("n/a"), never 0 and never an error.
--     Grouped cost-per-X divides the spend of the posts that report X by
--     the sum of X. CPE compares posts within one platform: it is NULL for
--     a group that mixes platforms.
--   * Campaign-level money (cost lines without a post, bundles with no
--     post, sales attributed to a campaign only) counts in the campaign and
--     tenant views, not in platform / tier / creator / post views.

-- Rates usable in both directions (1 base = rate quote).
CREATE OR REPLACE VIEW v_fx_pairs AS
SELECT f.tenant AS tenant, f.base AS base, f.quote AS quote, f.rate_date AS rate_date, toFloat64(f.rate) AS rate
FROM fx_rates AS f FINAL
WHERE f.rate > 0
UNION ALL
SELECT f.tenant AS tenant, f.quote AS base, f.base AS quote, f.rate_date AS rate_date, 1 / toFloat64(f.rate) AS rate
FROM fx_rates AS f FINAL
WHERE f.rate > 0;

-- Campaign context of every registered post (tombstones excluded).
CREATE OR REPLACE VIEW v_post_context AS
SELECT
    p.tenant                                                                       AS tenant,
    p.post_id                                                                      AS post_id,
    p.platform                                                                     AS platform,
    p.campaign_id                                                                  AS campaign_id,
    p.creator_id                                                                   AS creator_id,
    p.creator_tier                                                                 AS creator_tier,
    p.content_form                                                                 AS content_form,
    p.bundle_id                                                                    AS bundle_id,
    p.published_at                                                                 AS published_at,
    p.url                                                                          AS url,
    c.name                                                                         AS campaign_name,
    if(c.time_zone = '', 'Asia/Shanghai', toString(c.time_zone))                   AS time_zone,
    coalesce(nullIf(c.reporting_currency, ''), nullIf(t.reporting_currency, ''), 'CNY') AS reporting_currency,
    coalesce(nullIf(t.reporting_currency, ''), 'CNY')                              AS tenant_currency
FROM (SELECT * FROM posts FINAL WHERE deleted = 0) AS p
LEFT JOIN (SELECT tenant, campaign_id, name, time_zone, reporting_currency FROM campaigns FINAL) AS c
    ON c.tenant = p.tenant AND c.campaign_id = p.campaign_id
LEFT JOIN (SELECT tenant, reporting_currency FROM tenants FINAL) AS t ON t.tenant = p.tenant;

-- Orders with the post (or campaign) their attribution key points to.
CREATE OR REPLACE VIEW v_sales_attributed AS
SELECT
    s.tenant                                                  AS tenant,
    s.order_id                                                AS order_id,
    s.key_kind                                                AS key_kind,
    s.attribution_key                                         AS attribution_key,
    if(s.key_kind = 'post', s.attribution_key, k.post_id)     AS post_id,
    k.campaign_id                                             AS key_campaign_id,
    s.revenue                                                 AS revenue,
    s.currency                                                AS currency,
    s.ordered_at                                              AS ordered_at
FROM (SELECT * FROM sales FINAL) AS s
LEFT JOIN (SELECT tenant, key_kind, attribution_key, post_id, campaign_id FROM attribution_keys FINAL) AS k
    ON k.tenant = s.tenant AND k.key_kind = s.key_kind AND k.attribution_key = s.attribution_key;

-- Each bundle post's share of its bundle (bundles.split: equal, by_views,
-- by_engagements, or by_fee = the post's fee + service fee as recorded;
-- equal when the weights are missing or sum to 0, or the bundle has no row).
CREATE OR REPLACE VIEW v_bundle_shares AS
SELECT
    tenant, bundle_id, post_id, split, weight,
    if(ifNull(sum(weight) OVER w, 0) > 0, ifNull(weight, 0) / (sum(weight) OVER w), 1 / (count() OVER w)) AS share
FROM
(
    SELECT
        p.tenant AS tenant, p.bundle_id AS bundle_id, p.post_id AS post_id,
        if(ifNull(b.has_row, 0) = 0, 'equal', toString(b.split)) AS split,
        multiIf(split = 'by_views', toFloat64(t.views), split = 'by_engagements', toFloat64(t.engagements),
                split = 'by_fee', f.fee, 1.0) AS weight
    FROM (SELECT tenant, post_id, bundle_id FROM posts FINAL WHERE deleted = 0 AND bundle_id != '') AS p
    LEFT JOIN (SELECT tenant, bundle_id, split, toUInt8(1) AS has_row FROM bundles FINAL) AS b
        ON b.tenant = p.tenant AND b.bundle_id = p.bundle_id
    LEFT JOIN (SELECT tenant, post_id, views, engagements FROM post_totals FINAL) AS t
        ON t.tenant = p.tenant AND t.post_id = p.post_id
    LEFT JOIN
    (
        SELECT tenant, post_id, toNullable(sum(toFloat64(amount))) AS fee FROM cost_lines FINAL
        WHERE kind IN ('fee', 'service_fee') AND post_id != '' GROUP BY tenant, post_id
    ) AS f ON f.tenant = p.tenant AND f.post_id = p.post_id
)
WINDOW w AS (PARTITION BY tenant, bundle_id);

-- Every amount to convert, one row per line and post. component: fee,
-- service_fee, bundle (a bundle's money × the post's share; post '' when
-- the bundle has no registered post), extra, heating, revenue, emv
-- (metric × unit value), pulse (a heating pulse's spend, for efficiency).
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
SELECT pm.tenant AS tenant, '' AS campaign_id, pm.post_id AS post_id, '' AS bundle_id, 'emv' AS component,
       concat(pm.post_id, '#emv') AS line_id, sum(toFloat64(pm.value) * toFloat64(pm.unit.1)) AS amount,
       toString(pm.unit.2) AS currency, any(pm.day) AS money_date
FROM
(
    SELECT m.tenant AS tenant, m.post_id AS post_id, m.metric AS metric, any(m.value) AS value, any(m.day) AS day,
           argMax((u.unit_value, u.currency), (u.tenant != '', u.platform != '', u.valid_from)) AS unit
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
    INNER JOIN (SELECT * FROM emv_unit_values FINAL) AS u ON u.metric = m.metric
    WHERE u.tenant IN (m.tenant, '') AND u.platform IN (m.platform, '') AND u.valid_from <= m.day
    GROUP BY m.tenant, m.post_id, m.metric
) AS pm
GROUP BY pm.tenant, pm.post_id, currency;

-- Every line converted to the campaign's reporting currency (scope
-- 'campaign') and to the tenant's (scope 'tenant'); once (scope 'both')
-- when the two are the same currency.
CREATE OR REPLACE VIEW v_money AS
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
        SELECT m.tenant AS tenant, if(m.post_id != '' AND p.post_id != '', p.campaign_id, m.campaign_id) AS campaign_id,
               m.post_id AS post_id, m.bundle_id AS bundle_id, m.component AS component, m.line_id AS line_id,
               m.amount AS amount, m.currency AS currency, m.money_date AS money_date
        FROM v_money_lines AS m
        LEFT JOIN (SELECT tenant, post_id, campaign_id FROM posts FINAL WHERE deleted = 0) AS p
            ON p.tenant = m.tenant AND p.post_id = m.post_id
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

-- Money per post: spend components, revenue, EMV and heating-pulse spend in
-- the campaign's reporting currency, and their totals in the tenant's.
-- A component is NULL when one of its lines could not be converted;
-- revenue and EMV are NULL when there is none.
CREATE OR REPLACE VIEW v_post_money AS
SELECT
    tenant, post_id,
    if(countIf(scope != 'tenant' AND component = 'fee' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component = 'fee'), 0))                        AS fee,
    if(countIf(scope != 'tenant' AND component = 'service_fee' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component = 'service_fee'), 0))                AS service_fee,
    if(countIf(scope != 'tenant' AND component = 'bundle' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component = 'bundle'), 0))                     AS bundle_share,
    if(countIf(scope != 'tenant' AND component = 'extra' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component = 'extra'), 0))                      AS extra,
    if(countIf(scope != 'tenant' AND component = 'heating' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component = 'heating'), 0))                    AS heating,
    if(countIf(scope != 'campaign' AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating')
               AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'campaign'
                    AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating')), 0))     AS spend_tenant,
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
FROM v_money
WHERE post_id != ''
GROUP BY tenant, post_id;

-- Heating pulses: incremental engagements per unit of the pulse's spend.
CREATE OR REPLACE VIEW v_heating_efficiency AS
SELECT
    p.tenant                         AS tenant,
    c.campaign_id                    AS campaign_id,
    p.post_id                        AS post_id,
    c.platform                       AS platform,
    c.creator_id                     AS creator_id,
    c.creator_tier                   AS creator_tier,
    p.pulse_index                    AS pulse_index,
    p.heating_ids                    AS heating_ids,
    p.onset                          AS onset,
    p.ends_at                        AS ends_at,
    p.status                         AS status,
    p.incremental_engagements        AS incremental_engagements,
    c.reporting_currency             AS currency,
    m.spend                          AS spend,
    m.spend_tenant                   AS spend_tenant,
    p.incremental_engagements / nullIf(m.spend, 0) AS efficiency
FROM (SELECT * FROM pulses FINAL WHERE trigger = 'heating') AS p
INNER JOIN v_post_context AS c ON c.tenant = p.tenant AND c.post_id = p.post_id
LEFT JOIN
(
    SELECT tenant, line_id, anyIf(converted, scope != 'tenant') AS spend, anyIf(converted, scope != 'campaign') AS spend_tenant
    FROM v_money WHERE component = 'pulse' GROUP BY tenant, line_id
) AS m ON m.tenant = p.tenant AND m.line_id = concat(p.post_id, '#', toString(p.pulse_index));

-- One row per post: costs, outcomes and every ratio (campaign's reporting
-- currency; *_tenant columns in the tenant's).
CREATE OR REPLACE VIEW v_roi_post AS
SELECT
    c.tenant AS tenant, c.campaign_id AS campaign_id, c.campaign_name AS campaign_name, c.post_id AS post_id,
    c.platform AS platform, c.creator_id AS creator_id, c.creator_tier AS creator_tier,
    c.content_form AS content_form, c.bundle_id AS bundle_id, c.published_at AS published_at, c.url AS url,
    c.time_zone AS time_zone, c.reporting_currency AS currency, c.tenant_currency AS tenant_currency,
    if(ifNull(m.fx_missing, 0) > 0, m.fee, ifNull(m.fee, 0))                     AS fee,
    if(ifNull(m.fx_missing, 0) > 0, m.service_fee, ifNull(m.service_fee, 0))     AS service_fee,
    if(ifNull(m.fx_missing, 0) > 0, m.bundle_share, ifNull(m.bundle_share, 0))   AS bundle_share,
    if(ifNull(m.fx_missing, 0) > 0, m.extra, ifNull(m.extra, 0))                 AS extra,
    if(ifNull(m.fx_missing, 0) > 0, m.heating, ifNull(m.heating, 0))             AS heating,
    fee + service_fee + bundle_share + extra + heating                           AS spend,
    if(ifNull(m.fx_missing, 0) > 0, m.spend_tenant, ifNull(m.spend_tenant, 0))   AS spend_tenant,
    ifNull(m.fx_missing, 0)                                                      AS fx_missing,
    tot.as_of AS as_of, tot.views AS views, tot.likes AS likes, tot.comments AS comments, tot.shares AS shares,
    tot.saves AS saves, tot.searches AS searches, tot.engagements AS engagements,
    ch.comments_analysed AS comments_analysed, ch.intent_comments AS intent_comments,
    m.emv AS emv, m.emv_tenant AS emv_tenant,
    m.revenue AS revenue, m.revenue_tenant AS revenue_tenant, ifNull(m.orders, 0) AS orders,
    lt.tail_share AS tail_share, lt.tail_share * toFloat64(tot.engagements) AS tail_engagements,
    pu.pulses AS heating_pulses, pu.incremental AS heating_incremental,
    m.pulse_spend AS heating_pulse_spend, m.pulse_spend_tenant AS heating_pulse_spend_tenant,
    spend * 1000 / nullIf(toFloat64(tot.views), 0)                 AS cpm,
    spend / nullIf(toFloat64(tot.engagements), 0)                  AS cpe,
    spend / nullIf(toFloat64(tot.saves), 0)                        AS cost_per_save,
    spend / nullIf(toFloat64(tot.searches), 0)                     AS cost_per_search,
    spend / nullIf(toFloat64(ch.intent_comments), 0)               AS cost_per_intent_comment,
    (m.emv - spend) / nullIf(spend, 0)                             AS emv_return,
    m.revenue / nullIf(spend, 0)                                   AS roas,
    tail_engagements / nullIf(toFloat64(tot.engagements), 0)       AS tail_contribution,
    pu.incremental / nullIf(m.pulse_spend, 0)                      AS heating_efficiency
FROM v_post_context AS c
LEFT JOIN v_post_money AS m ON m.tenant = c.tenant AND m.post_id = c.post_id
LEFT JOIN
(
    SELECT tenant, post_id, toNullable(as_of) AS as_of, views, likes, comments, shares, saves, searches, engagements
    FROM post_totals FINAL
) AS tot ON tot.tenant = c.tenant AND tot.post_id = c.post_id
LEFT JOIN
(
    SELECT tenant, post_id, toNullable(sum(comments)) AS comments_analysed, toNullable(sum(intent_comments)) AS intent_comments
    FROM comment_hours GROUP BY tenant, post_id
) AS ch ON ch.tenant = c.tenant AND ch.post_id = c.post_id
LEFT JOIN (SELECT tenant, post_id, tail_share FROM long_tail FINAL) AS lt ON lt.tenant = c.tenant AND lt.post_id = c.post_id
LEFT JOIN
(
    SELECT tenant, post_id, toNullable(count()) AS pulses, toNullable(sum(incremental_engagements)) AS incremental
    FROM pulses FINAL WHERE trigger = 'heating' GROUP BY tenant, post_id
) AS pu ON pu.tenant = c.tenant AND pu.post_id = c.post_id;

-- Money of a campaign that belongs to no post: cost lines without a post,
-- bundles none of whose posts is registered, sales attributed to the
-- campaign only (campaign currency; *_tenant in the tenant's).
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
FROM v_money
WHERE post_id = '' AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating', 'revenue')
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
    sum(r.intent_comments) AS intent_comments, sum(r.emv) AS emv,
    if(countIf(r.revenue IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
       ifNull(sum(r.revenue), 0) + ifNull(any(cl.revenue), 0))                         AS revenue,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000 / nullIf(toFloat64(sum(r.views)), 0)               AS cpm,
    if(uniqExact(r.platform) = 1,
       sumIf(r.spend, r.engagements IS NOT NULL) / nullIf(toFloat64(sum(r.engagements)), 0), NULL) AS cpe,
    sumIf(r.spend, r.saves IS NOT NULL) / nullIf(toFloat64(sum(r.saves)), 0)                      AS cost_per_save,
    sumIf(r.spend, r.searches IS NOT NULL) / nullIf(toFloat64(sum(r.searches)), 0)                AS cost_per_search,
    sumIf(r.spend, r.intent_comments IS NOT NULL) / nullIf(toFloat64(sum(r.intent_comments)), 0)  AS cost_per_intent_comment,
    (sum(r.emv) - sumIf(r.spend, r.emv IS NOT NULL)) / nullIf(sumIf(r.spend, r.emv IS NOT NULL), 0) AS emv_return,
    revenue / nullIf(spend, 0)                                                                    AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0) AS tail_contribution,
    sum(r.heating_incremental) / nullIf(sum(r.heating_pulse_spend), 0)                             AS heating_efficiency
FROM v_roi_post AS r
LEFT JOIN v_campaign_level_money AS cl ON cl.tenant = r.tenant AND cl.campaign_id = r.campaign_id
GROUP BY r.tenant, r.campaign_id;

-- ROI per post group, one view for every dimension: `dimension` is one of
-- platform, tier, creator, content_form, post; `value` is its value.
-- Campaign-level money is not allocated here (see v_roi_campaign).
CREATE OR REPLACE VIEW v_roi_by AS
SELECT
    r.tenant AS tenant, r.campaign_id AS campaign_id, d.1 AS dimension, d.2 AS value,
    any(r.currency) AS currency, count() AS posts, uniqExact(r.platform) AS platforms,
    sum(r.fee) AS fee, sum(r.service_fee) AS service_fee, sum(r.bundle_share) AS bundle_share, sum(r.extra) AS extra,
    sum(r.heating) AS heating, if(countIf(r.spend IS NULL) > 0, NULL, sum(r.spend)) AS spend,
    sum(r.fx_missing) AS fx_missing,
    sum(r.views) AS views, sum(r.likes) AS likes, sum(r.comments) AS comments, sum(r.shares) AS shares,
    sum(r.saves) AS saves, sum(r.searches) AS searches, sum(r.engagements) AS engagements,
    sum(r.intent_comments) AS intent_comments, sum(r.emv) AS emv, sum(r.revenue) AS revenue,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000 / nullIf(toFloat64(sum(r.views)), 0)               AS cpm,
    if(uniqExact(r.platform) = 1,
       sumIf(r.spend, r.engagements IS NOT NULL) / nullIf(toFloat64(sum(r.engagements)), 0), NULL) AS cpe,
    sumIf(r.spend, r.saves IS NOT NULL) / nullIf(toFloat64(sum(r.saves)), 0)                      AS cost_per_save,
    sumIf(r.spend, r.searches IS NOT NULL) / nullIf(toFloat64(sum(r.searches)), 0)                AS cost_per_search,
    sumIf(r.spend, r.intent_comments IS NOT NULL) / nullIf(toFloat64(sum(r.intent_comments)), 0)  AS cost_per_intent_comment,
    (sum(r.emv) - sumIf(r.spend, r.emv IS NOT NULL)) / nullIf(sumIf(r.spend, r.emv IS NOT NULL), 0) AS emv_return,
    sum(r.revenue) / nullIf(spend, 0)                                                             AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0) AS tail_contribution,
    sum(r.heating_incremental) / nullIf(sum(r.heating_pulse_spend), 0)                             AS heating_efficiency
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
    sum(r.intent_comments) AS intent_comments, sum(r.emv_tenant) AS emv,
    if(countIf(r.revenue_tenant IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
       ifNull(sum(r.revenue_tenant), 0) + ifNull(any(cl.revenue), 0))                              AS revenue,
    sumIf(r.spend_tenant, r.views IS NOT NULL) * 1000 / nullIf(toFloat64(sum(r.views)), 0)          AS cpm,
    sumIf(r.spend_tenant, r.saves IS NOT NULL) / nullIf(toFloat64(sum(r.saves)), 0)                 AS cost_per_save,
    sumIf(r.spend_tenant, r.searches IS NOT NULL) / nullIf(toFloat64(sum(r.searches)), 0)           AS cost_per_search,
    sumIf(r.spend_tenant, r.intent_comments IS NOT NULL) / nullIf(toFloat64(sum(r.intent_comments)), 0) AS cost_per_intent_comment,
    (sum(r.emv_tenant) - sumIf(r.spend_tenant, r.emv_tenant IS NOT NULL))
        / nullIf(sumIf(r.spend_tenant, r.emv_tenant IS NOT NULL), 0)                               AS emv_return,
    revenue / nullIf(spend, 0)                                                                     AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0)  AS tail_contribution,
    sum(r.heating_incremental) / nullIf(sum(r.heating_pulse_spend_tenant), 0)                       AS heating_efficiency
FROM v_roi_post AS r
LEFT JOIN
(
    SELECT tenant, sum(spend_tenant) AS total, countIf(spend_tenant IS NULL) AS missing,
           if(countIf(revenue_tenant IS NOT NULL) = 0, NULL, sum(revenue_tenant)) AS revenue
    FROM v_campaign_level_money GROUP BY tenant
) AS cl ON cl.tenant = r.tenant
GROUP BY r.tenant;

-- Tier comparison: distributions (p25, p50, p75, linear interpolation) of
-- per-post figures per campaign, platform and tier, normalised by spend
-- (outcomes per 1,000 of spend) next to cost per outcome.
CREATE OR REPLACE VIEW v_tier_distribution AS
SELECT
    tenant, campaign_id, platform, creator_tier, any(currency) AS currency, count() AS posts, sum(spend) AS total_spend,
    quantilesExactInclusive(0.25, 0.5, 0.75)(cpm)                                               AS cpm_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(cpe)                                               AS cpe_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(views) * 1000 / nullIf(spend, 0))       AS views_per_1k_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(engagements) * 1000 / nullIf(spend, 0)) AS engagements_per_1k_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(saves) * 1000 / nullIf(spend, 0))       AS saves_per_1k_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(searches) * 1000 / nullIf(spend, 0))    AS searches_per_1k_q,
    quantilesExactInclusive(0.25, 0.5, 0.75)(emv / nullIf(spend, 0))                           AS emv_per_spend_q
FROM v_roi_post
GROUP BY tenant, campaign_id, platform, creator_tier;

-- Creator scorecard across campaigns (tenant's reporting currency): posts,
-- spend, median CPE and CPM per platform, save / search / intent rates,
-- tail share, response to heating per unit of spend, tags.
CREATE OR REPLACE VIEW v_creator_scorecard AS
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
    sum(s.heating_pulses) AS heating_pulses
FROM
(
    SELECT
        tenant, creator_id, platform, any(tenant_currency) AS currency, groupUniqArray(campaign_id) AS campaign_ids,
        count() AS posts,
        if(countIf(spend_tenant IS NULL) > 0, NULL, sum(spend_tenant)) AS spend,
        quantileExactInclusive(0.5)(spend_tenant / nullIf(toFloat64(engagements), 0)) AS median_cpe,
        quantileExactInclusive(0.5)(spend_tenant * 1000 / nullIf(toFloat64(views), 0)) AS median_cpm,
        sumIf(saves, views IS NOT NULL) AS saves_v, sumIf(views, saves IS NOT NULL) AS views_s,
        sumIf(searches, views IS NOT NULL) AS searches_v, sumIf(views, searches IS NOT NULL) AS views_q,
        sum(intent_comments) AS intent, sumIf(comments_analysed, intent_comments IS NOT NULL) AS analysed,
        sum(tail_engagements) AS tail_eng, sumIf(engagements, tail_share IS NOT NULL) AS eng_t,
        sum(heating_incremental) AS incremental, sum(heating_pulse_spend_tenant) AS pulse_spend,
        sum(heating_pulses) AS heating_pulses
    FROM v_roi_post
    GROUP BY tenant, creator_id, platform
) AS s
LEFT JOIN (SELECT tenant, creator_id, name, tier, followers, tags FROM creators FINAL) AS cr
    ON cr.tenant = s.tenant AND cr.creator_id = s.creator_id
GROUP BY s.tenant, s.creator_id;
