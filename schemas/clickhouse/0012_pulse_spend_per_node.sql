-- 0012 A heated pulse's spend per node; component totals and campaign-level
-- spend n/a only for a missing rate.
--
-- * A heated pulse's spend was the worker's sum of its nodes' amounts in the
--   currency of the last node the worker read (pulses.spend_amount and
--   spend_currency): a 100 USD node and a 350 CNY node starting the same hour
--   made one pulse of "450 CNY". The 'pulse' money lines are now the pulse's
--   nodes (pulses.heating_ids joined to heating_nodes), each with its own
--   amount, currency and start date in the campaign zone, as the 'heating'
--   lines of executed nodes: a node counts in its pulse whatever its status
--   but cancelled (the worker's pulse carries planned nodes too). Their
--   line_id is post#pulse#node. v_heating_efficiency sums a pulse's lines:
--   350 + 100 × the USD rate of the node's date, n/a when one node's amount
--   has no rate. pulses.spend_amount and spend_currency are no longer read
--   by the ROI views.
-- * Campaign-level money that is revenue only (an order keyed to the
--   campaign, no cost of no post) had a spend of NULL, not 0, in
--   v_campaign_level_money: v_roi_campaign.campaign_level_spend and the
--   tenant's spend (v_roi_tenant counts NULL campaign-level spends as
--   missing rates) read n/a with no rate missing. It is 0 now; NULL only
--   when a cost lacks a rate.
-- * A row's fee, service fee, bundle share, extra costs and heating were
--   plain sums in v_roi_campaign and v_roi_by, which skip n/a: a post's
--   extra without a rate dropped out of its row's extra while the row's
--   spend read n/a. Each is now n/a when one of its posts' is (as spend, EMV
--   and revenue since 0009). tracker/report/queries.py AGGREGATES follow (and
--   there, over no post at all, a window's total, spend and its components
--   are 0 rather than n/a; a view's row always has a post).
--
-- v_money_lines is restated whole (as 0011 left it, applied and immutable)
-- but for its 'pulse' lines; v_campaign_level_money, v_roi_campaign and
-- v_roi_by as 0009 left them but for the columns above; v_heating_efficiency
-- as 0003 left it but for its spend.

-- Every amount to convert (as in 0011); a heated pulse's spend is one line per node.
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
       ifNull(start_day, toDate(start_at)) AS money_date
FROM heating_nodes FINAL
WHERE status = 'executed' AND spend_amount IS NOT NULL
UNION ALL
SELECT tenant, key_campaign_id AS campaign_id, ifNull(post_id, '') AS post_id, '' AS bundle_id,
       'revenue' AS component, order_id AS line_id, toFloat64(revenue) AS amount, toString(currency) AS currency,
       ifNull(order_day, toDate(ordered_at)) AS money_date
FROM v_sales_attributed
WHERE ifNull(post_id, '') != '' OR key_campaign_id != ''
UNION ALL
SELECT k.tenant AS tenant, '' AS campaign_id, k.post_id AS post_id, '' AS bundle_id, 'pulse' AS component,
       concat(k.post_id, '#', toString(k.pulse_index), '#', k.heating_id) AS line_id,
       toFloat64(assumeNotNull(h.spend_amount)) AS amount, toString(h.spend_currency) AS currency,
       ifNull(h.start_day, toDate(h.start_at)) AS money_date
FROM
(
    SELECT tenant, post_id, pulse_index, heating_id
    FROM pulses FINAL
    ARRAY JOIN heating_ids AS heating_id
    WHERE trigger = 'heating'
) AS k
INNER JOIN
(
    SELECT tenant, post_id, heating_id, spend_amount, spend_currency, start_at, start_day
    FROM heating_nodes FINAL
    WHERE status != 'cancelled' AND spend_amount IS NOT NULL
) AS h ON h.tenant = k.tenant AND h.post_id = k.post_id AND h.heating_id = k.heating_id
UNION ALL
SELECT m.tenant AS tenant, '' AS campaign_id, m.post_id AS post_id, '' AS bundle_id, 'emv' AS component,
       concat(m.post_id, '#emv') AS line_id, sum(toFloat64(m.value) * u.unit_value) AS amount,
       u.currency AS currency, any(m.day) AS money_date
FROM
(
    SELECT t.tenant AS tenant, t.post_id AS post_id, t.platform AS platform, ifNull(p.published_day, toDate(p.published_at)) AS day,
           mv.1 AS metric, mv.2 AS value
    FROM (SELECT * FROM post_totals FINAL) AS t
    INNER JOIN (SELECT tenant, post_id, published_at, published_day FROM posts FINAL WHERE deleted = 0) AS p
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
        SELECT DISTINCT t.tenant AS tenant, t.platform AS platform, ifNull(p.published_day, toDate(p.published_at)) AS day
        FROM (SELECT tenant, post_id, platform FROM post_totals FINAL) AS t
        INNER JOIN (SELECT tenant, post_id, published_at, published_day FROM posts FINAL WHERE deleted = 0) AS p
            ON p.tenant = t.tenant AND p.post_id = t.post_id
    ) AS k
    CROSS JOIN (SELECT * FROM emv_unit_values FINAL) AS u
    WHERE u.tenant IN (k.tenant, '') AND u.platform IN (k.platform, '') AND u.valid_from <= k.day
    GROUP BY k.tenant, k.platform, k.day, u.metric
) AS u ON u.tenant = m.tenant AND u.platform = m.platform AND u.day = m.day AND u.metric = m.metric
GROUP BY m.tenant, m.post_id, u.currency;

-- Heating pulses: incremental engagements per unit of the spend of their nodes (as in 0003).
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
    -- The pulse's node lines of v_money (line_id post#pulse#node), summed per pulse.
    SELECT k.tenant AS tenant, k.post_id AS post_id, k.pulse_index AS pulse_index,
           if(countIf(m.scope != 'tenant' AND m.converted IS NULL) > 0, NULL,
              sumIf(m.converted, m.scope != 'tenant'))                                     AS spend,
           if(countIf(m.scope != 'campaign' AND m.converted IS NULL) > 0, NULL,
              sumIf(m.converted, m.scope != 'campaign'))                                   AS spend_tenant
    FROM
    (
        SELECT tenant, post_id, pulse_index, concat(post_id, '#', toString(pulse_index), '#', heating_id) AS line_id
        FROM pulses FINAL
        ARRAY JOIN heating_ids AS heating_id
        WHERE trigger = 'heating'
    ) AS k
    INNER JOIN (SELECT tenant, line_id, scope, converted FROM v_money WHERE component = 'pulse') AS m
        ON m.tenant = k.tenant AND m.line_id = k.line_id
    GROUP BY k.tenant, k.post_id, k.pulse_index
) AS m ON m.tenant = p.tenant AND m.post_id = p.post_id AND m.pulse_index = p.pulse_index;

-- Money of a campaign that belongs to no post (as in 0009): no cost of no post is a spend of 0.
CREATE OR REPLACE VIEW v_campaign_level_money AS
SELECT
    tenant, campaign_id,
    if(countIf(scope != 'tenant' AND component != 'revenue' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'tenant' AND component != 'revenue'), 0))             AS spend,
    if(countIf(scope != 'tenant' AND component = 'revenue') = 0
       OR countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'tenant' AND component = 'revenue'))                            AS revenue,
    if(countIf(scope != 'campaign' AND component != 'revenue' AND converted IS NULL) > 0, NULL,
       ifNull(sumIf(converted, scope != 'campaign' AND component != 'revenue'), 0))           AS spend_tenant,
    if(countIf(scope != 'campaign' AND component = 'revenue') = 0
       OR countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL) > 0, NULL,
       sumIf(converted, scope != 'campaign' AND component = 'revenue'))                          AS revenue_tenant,
    countIf(scope != 'tenant' AND converted IS NULL)                                             AS fx_missing,
    countIf(scope != 'campaign' AND converted IS NULL)                                           AS fx_missing_tenant,
    countIf(scope != 'tenant' AND component = 'revenue' AND converted IS NULL)                   AS revenue_fx_missing,
    countIf(scope != 'campaign' AND component = 'revenue' AND converted IS NULL)                 AS revenue_fx_missing_tenant
FROM v_campaign_money
GROUP BY tenant, campaign_id;

-- ROI per campaign (as in 0009): each spend component n/a when one post's is.
CREATE OR REPLACE VIEW v_roi_campaign AS
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

-- ROI per post group (as in 0009): each spend component n/a when one post's is.
-- tracker/report/queries.py AGGREGATES and RATIO_SPEND are these figures.
CREATE OR REPLACE VIEW v_roi_by AS
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
