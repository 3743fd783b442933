-- 0007 ROI views: every grouped ratio divides the figures of the same posts.
--
-- Until now a group's cost-per-X divided the spend of its posts that report
-- X by the X of every post reporting it, so a post whose spend is n/a (an
-- amount without an FX rate to the reporting currency) dropped out of the
-- numerator and stayed in the denominator: the group's CPM, CPE and cost per
-- save / search / intent comment read too low, ROAS and (EMV − spend) ÷ spend
-- too high, without saying so. Now every ratio covers the posts that have
-- both sides: its metric (views, engagements, saves, searches, intent
-- comments, EMV; revenue known — none when the post has no order — for
-- ROAS; heated pulses with their spend for heating efficiency) and a spend.
-- `*_spend` columns (v_roi_by, v_roi_campaign) show the spend each ratio
-- divides, as `tracker roi --format json` does. A group's `spend` is still
-- n/a as soon as one post's is. Per-post figures (v_roi_post) are unchanged.
--
-- Also: v_tier_distribution's total_spend is n/a, not short, when a post's
-- spend is; the creator scorecard's heating response divides the pulses
-- whose spend is known. (0003 – 0005 are applied and immutable; the views are
-- replaced here, with the same columns and the `*_spend` columns added.)

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
    sum(r.intent_comments) AS intent_comments, sum(r.emv) AS emv, sum(r.revenue) AS revenue,
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
    sum(r.intent_comments) AS intent_comments, sum(r.emv_tenant) AS emv,
    if(countIf(r.revenue_tenant IS NOT NULL) = 0 AND any(cl.revenue) IS NULL, NULL,
       ifNull(sum(r.revenue_tenant), 0) + ifNull(any(cl.revenue), 0))                              AS revenue,
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
           sum(fx_missing_tenant) AS fx_missing
    FROM v_campaign_level_money GROUP BY tenant
) AS cl ON cl.tenant = r.tenant
GROUP BY r.tenant;

-- Tier comparison (as in 0004); total_spend is n/a when one post's spend is.
CREATE OR REPLACE VIEW v_tier_distribution AS
SELECT
    tenant, campaign_id, platform, creator_tier, any(currency) AS currency, count() AS posts,
    if(countIf(spend IS NULL) > 0, NULL, sum(spend)) AS total_spend,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpm)) AS cpm_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpe)) AS cpe_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(views) * 1000 / nullIf(spend, 0))) AS views_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(engagements) * 1000 / nullIf(spend, 0))) AS engagements_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(saves) * 1000 / nullIf(spend, 0))) AS saves_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(searches) * 1000 / nullIf(spend, 0))) AS searches_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(emv / nullIf(spend, 0))) AS emv_per_spend_q
FROM v_roi_post
GROUP BY tenant, campaign_id, platform, creator_tier;

-- Creator scorecard across campaigns (as in 0004); heating response divides
-- the incremental engagements of the posts whose heated pulses' spend is known.
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
        if(isNaN(quantileExactInclusive(0.5)(spend_tenant / nullIf(toFloat64(engagements), 0)) AS cpe_median), NULL, cpe_median) AS median_cpe,
        if(isNaN(quantileExactInclusive(0.5)(spend_tenant * 1000 / nullIf(toFloat64(views), 0)) AS cpm_median), NULL, cpm_median) AS median_cpm,
        sumIf(saves, views IS NOT NULL) AS saves_v, sumIf(views, saves IS NOT NULL) AS views_s,
        sumIf(searches, views IS NOT NULL) AS searches_v, sumIf(views, searches IS NOT NULL) AS views_q,
        sum(intent_comments) AS intent, sumIf(comments_analysed, intent_comments IS NOT NULL) AS analysed,
        sum(tail_engagements) AS tail_eng, sumIf(engagements, tail_share IS NOT NULL) AS eng_t,
        sumIf(heating_incremental, heating_pulse_spend_tenant IS NOT NULL) AS incremental,
        sumIf(heating_pulse_spend_tenant, heating_incremental IS NOT NULL) AS pulse_spend,
        sum(heating_pulses) AS heating_pulses
    FROM v_roi_post
    GROUP BY tenant, creator_id, platform
) AS s
LEFT JOIN (SELECT tenant, creator_id, name, tier, followers, tags FROM creators FINAL) AS cr
    ON cr.tenant = s.tenant AND cr.creator_id = s.creator_id
GROUP BY s.tenant, s.creator_id;
