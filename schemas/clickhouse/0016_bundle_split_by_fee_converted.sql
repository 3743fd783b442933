-- 0016 A bundle split by fee weighs its posts' fees in one currency.
--
-- v_bundle_shares (0003) weighed a `by_fee` bundle's posts by the raw sum of
-- their fee and service-fee amounts, whatever their currencies: a 2,000 CNY
-- bundle over a post paid 3,000 CNY + 6 % service fee (3,180 CNY) and one
-- paid 500 USD gave them 3,180 : 500, so 1,728.26 and 271.74 CNY, where the
-- 500 USD (7.25 CNY that day) weigh 3,625: 934.61 and 1,065.39. Each fee
-- and service-fee line is now converted as v_money converts every amount: at
-- its own date (cost_date, the post's publish date in the campaign zone),
-- with the latest rate on or before it, the tenant's own before the global
-- one, direct or inverse, to the reporting currency of the bundle's campaign
-- (one currency for all the posts of a bundle). As 0003 meant, a post's
-- weight is its fee plus its service fee (what the creator's placement
-- costs); a post without either still weighs 0. `weight` is that converted
-- sum. Splits by_views and by_engagements weigh counts, not money, and
-- equal weighs nothing: they are unchanged, and a bundle whose fees are all
-- in its campaign's currency keeps its shares.
--
-- When one fee line of a by_fee bundle has no rate, the weights cannot be
-- compared: every post's share of that bundle is n/a (NULL), not a split
-- over the posts whose fees convert. The share's row is still there, so
-- v_money_lines gives each post its bundle line with an n/a amount (it does
-- not move the bundle to campaign-level money, which takes only bundles
-- without a registered post): each post's bundle share and spend read n/a
-- and `fx_missing` counts its bundle line, as for any amount without a rate,
-- and the campaign's and tenant's spend read n/a until the rate is recorded,
-- then count the bundle once. Those n/a lines carry the bundle's own
-- currency in v_money (CNY → CNY in a CNY campaign); the rate they wait for
-- is the fee's, listed by the fee's own line.
--
-- Only v_bundle_shares is restated (as 0003 left it, applied and immutable);
-- the views that read it by name follow.

-- Each bundle post's share of its bundle (bundles.split: equal, by_views,
-- by_engagements, or by_fee = the post's fee + service fee converted to its
-- bundle's campaign currency; equal when the weights are missing or sum to 0,
-- or the bundle has no row; n/a by fee when a fee of the bundle has no rate).
CREATE OR REPLACE VIEW v_bundle_shares AS
SELECT
    tenant, bundle_id, post_id, split, weight,
    multiIf(sum(fx_missing) OVER w > 0, NULL,
            ifNull(sum(weight) OVER w, 0) > 0, ifNull(weight, 0) / (sum(weight) OVER w),
            1 / (count() OVER w)) AS share
FROM
(
    SELECT
        p.tenant AS tenant, p.bundle_id AS bundle_id, p.post_id AS post_id,
        if(ifNull(b.has_row, 0) = 0, 'equal', toString(b.split)) AS split,
        multiIf(split = 'by_views', toFloat64(t.views), split = 'by_engagements', toFloat64(t.engagements),
                split = 'by_fee', f.fee, 1.0) AS weight,
        if(split = 'by_fee', ifNull(f.fx_missing, 0), 0) AS fx_missing
    FROM (SELECT tenant, post_id, bundle_id FROM posts FINAL WHERE deleted = 0 AND bundle_id != '') AS p
    LEFT JOIN (SELECT tenant, bundle_id, split, toUInt8(1) AS has_row FROM bundles FINAL) AS b
        ON b.tenant = p.tenant AND b.bundle_id = p.bundle_id
    LEFT JOIN (SELECT tenant, post_id, views, engagements FROM post_totals FINAL) AS t
        ON t.tenant = p.tenant AND t.post_id = p.post_id
    LEFT JOIN
    (
        -- The fee and service fee of each post of a by_fee bundle in its bundle's campaign currency;
        -- fx_missing counts the lines without a rate (and the fee is then n/a).
        SELECT tenant, post_id, if(countIf(converted IS NULL) > 0, NULL, sum(converted)) AS fee,
               countIf(converted IS NULL) AS fx_missing
        FROM
        (
            SELECT x.tenant AS tenant, x.post_id AS post_id,
                   x.amount * multiIf(x.currency = x.target, 1.0, tr.rate > 0, tr.rate, gr.rate > 0, gr.rate, NULL)
                       AS converted
            FROM
            (
                SELECT l.tenant AS tenant, l.post_id AS post_id, toFloat64(l.amount) AS amount,
                       toString(l.currency) AS currency, l.cost_date AS money_date, c.target AS target
                FROM
                (
                    SELECT tenant, post_id, amount, currency, cost_date FROM cost_lines FINAL
                    WHERE kind IN ('fee', 'service_fee') AND post_id != ''
                ) AS l
                INNER JOIN (SELECT tenant, post_id, bundle_id FROM posts FINAL WHERE deleted = 0 AND bundle_id != '') AS p
                    ON p.tenant = l.tenant AND p.post_id = l.post_id
                INNER JOIN
                (
                    -- The reporting currency of each by_fee bundle's campaign (as v_post_context's).
                    SELECT b.tenant AS tenant, b.bundle_id AS bundle_id,
                           coalesce(nullIf(c.reporting_currency, ''), nullIf(t.reporting_currency, ''), 'CNY') AS target
                    FROM (SELECT tenant, bundle_id, campaign_id FROM bundles FINAL WHERE split = 'by_fee') AS b
                    LEFT JOIN (SELECT tenant, campaign_id, reporting_currency FROM campaigns FINAL) AS c
                        ON c.tenant = b.tenant AND c.campaign_id = b.campaign_id
                    LEFT JOIN (SELECT tenant, reporting_currency FROM tenants FINAL) AS t ON t.tenant = b.tenant
                ) AS c ON c.tenant = p.tenant AND c.bundle_id = p.bundle_id
            ) AS x
            ASOF LEFT JOIN (SELECT * FROM v_fx_pairs WHERE tenant != '') AS tr
                ON tr.tenant = x.tenant AND tr.base = x.currency AND tr.quote = x.target AND x.money_date >= tr.rate_date
            ASOF LEFT JOIN (SELECT base, quote, rate_date, rate FROM v_fx_pairs WHERE tenant = '') AS gr
                ON gr.base = x.currency AND gr.quote = x.target AND x.money_date >= gr.rate_date
        )
        GROUP BY tenant, post_id
    ) AS f ON f.tenant = p.tenant AND f.post_id = p.post_id
)
WINDOW w AS (PARTITION BY tenant, bundle_id);
