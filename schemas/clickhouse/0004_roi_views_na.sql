-- 0004 ROI views: n/a instead of NaN in distributions.
--
-- A quantile over a group in which no post has the figure (no post of the
-- tier reports searches; no post of a creator on a platform has views) is
-- NaN in the engine; NaN is not equal to itself, is not "n/a" and breaks
-- comparisons. These two views of 0003 now return NULL there. (0003 is
-- applied and immutable; the views are replaced here.)

-- Tier comparison: distributions (p25, p50, p75, linear interpolation) of
-- per-post figures per campaign, platform and tier, normalised by spend
-- (outcomes per 1,000 of spend) next to cost per outcome; NULL where no
-- post of the group has the figure.
CREATE OR REPLACE VIEW v_tier_distribution AS
SELECT
    tenant, campaign_id, platform, creator_tier, any(currency) AS currency, count() AS posts, sum(spend) AS total_spend,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpm)) AS cpm_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(cpe)) AS cpe_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(views) * 1000 / nullIf(spend, 0))) AS views_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(engagements) * 1000 / nullIf(spend, 0))) AS engagements_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(saves) * 1000 / nullIf(spend, 0))) AS saves_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(toFloat64(searches) * 1000 / nullIf(spend, 0))) AS searches_per_1k_q,
    arrayMap(v -> if(isNaN(v), NULL, v), quantilesExactInclusive(0.25, 0.5, 0.75)(emv / nullIf(spend, 0))) AS emv_per_spend_q
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
        if(isNaN(quantileExactInclusive(0.5)(spend_tenant / nullIf(toFloat64(engagements), 0)) AS cpe_median), NULL, cpe_median) AS median_cpe,
        if(isNaN(quantileExactInclusive(0.5)(spend_tenant * 1000 / nullIf(toFloat64(views), 0)) AS cpm_median), NULL, cpm_median) AS median_cpm,
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
