-- 0011 Money dates in the campaign's time zone.
--
-- A money line is converted at the FX rate of its date, and a post's EMV at
-- the unit values valid on its publish date. Those dates were UTC dates: a
-- post published at 07:00 in Shanghai on 2 March counted on 1 March, so its
-- fee took 1 March's rate, or none at all when the rates began on the
-- campaign's first day, and the campaign's ROI read n/a. The engine cannot
-- take a time zone per row, so the writers now record each date in the
-- post's campaign zone as they write:
--   * posts.published_day     the publish date (EMV unit values and its FX rate);
--   * heating_nodes.start_day the date a heating node starts (its spend);
--   * pulses.onset_day        the date a heated pulse starts (its spend);
--   * sales.order_day         the order's date in the UTC offset its file gave.
-- Fee and bundle cost lines already carry a date (cost_date), now written in
-- the campaign zone too. Rows written before this migration have no such
-- column value and keep their UTC date (ifNull below) until they are
-- written again. v_money_lines, v_campaign_money and v_sales_attributed are
-- restated whole (as 0005 and 0003 left them, which are applied and
-- immutable) with those dates.

ALTER TABLE posts
    ADD COLUMN IF NOT EXISTS published_day Nullable(Date) COMMENT 'publish date in the campaign zone; NULL = written before 0011'
    AFTER published_at;

ALTER TABLE heating_nodes
    ADD COLUMN IF NOT EXISTS start_day Nullable(Date) COMMENT 'start date in the campaign zone; NULL = not known when written'
    AFTER start_at;

ALTER TABLE pulses
    ADD COLUMN IF NOT EXISTS onset_day Nullable(Date) COMMENT 'onset date in the campaign zone; NULL = not known when written'
    AFTER onset;

ALTER TABLE sales
    ADD COLUMN IF NOT EXISTS order_day Nullable(Date) COMMENT 'order date in the UTC offset of the imported file; NULL = before 0011'
    AFTER ordered_at;

-- Orders with their attribution (as in 0003), and the order's own date.
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
    s.ordered_at                                              AS ordered_at,
    s.order_day                                               AS order_day
FROM (SELECT * FROM sales FINAL) AS s
LEFT JOIN (SELECT tenant, key_kind, attribution_key, post_id, campaign_id FROM attribution_keys FINAL) AS k
    ON k.tenant = s.tenant AND k.key_kind = s.key_kind AND k.attribution_key = s.attribution_key;

-- Every amount to convert (as in 0005), each on its date in the campaign zone.
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
SELECT tenant, '' AS campaign_id, post_id, '' AS bundle_id, 'pulse' AS component,
       concat(post_id, '#', toString(pulse_index)) AS line_id, toFloat64(assumeNotNull(spend_amount)) AS amount,
       toString(spend_currency) AS currency, ifNull(onset_day, toDate(onset)) AS money_date
FROM pulses FINAL
WHERE trigger = 'heating' AND spend_amount IS NOT NULL
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

-- Campaign-level money (as in 0005), each line on its date in the campaign zone.
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
               ifNull(start_day, toDate(start_at)) AS money_date
        FROM heating_nodes FINAL
        WHERE post_id = '' AND status = 'executed' AND spend_amount IS NOT NULL
        UNION ALL
        SELECT tenant, key_campaign_id AS campaign_id, '' AS post_id, '' AS bundle_id, 'revenue' AS component,
               order_id AS line_id, toFloat64(revenue) AS amount, toString(currency) AS currency,
               ifNull(order_day, toDate(ordered_at)) AS money_date
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
