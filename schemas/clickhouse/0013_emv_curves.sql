-- 0013 EMV curves from the configured unit values.
--
-- The worker wrote each post's hourly EMV into curves with a fixed table of
-- illustrative unit values: the curve disagreed with the post's EMV in the
-- ROI views (which price its totals with emv_unit_values) and was not in the
-- campaign's currency. The worker no longer writes EMV rows; v_curves is the
-- curves table with each post's hourly EMV priced as the ROI views price it:
-- each metric at its unit value valid on the post's publish date (the
-- tenant's own before the global one, a platform's own before the default),
-- converted to the campaign's reporting currency at that date's rate. An
-- hour's EMV is NULL when one of its priced metrics has no rate; a post whose
-- metrics have no unit value has no EMV rows. EMV rows written before this
-- migration stay in curves and are left out here.

CREATE OR REPLACE VIEW v_emv_units AS
SELECT p.tenant AS tenant, p.post_id AS post_id, u.metric AS metric,
       argMax((toFloat64(u.unit_value), toString(u.currency)), (u.tenant != '', u.platform != '', u.valid_from)) AS unit,
       unit.1 AS unit_value, unit.2 AS currency, any(p.day) AS day,
       coalesce(nullIf(any(c.reporting_currency), ''), nullIf(any(t.reporting_currency), ''), 'CNY') AS target
FROM
(
    SELECT tenant, post_id, platform, campaign_id, ifNull(published_day, toDate(published_at)) AS day
    FROM posts FINAL WHERE deleted = 0
) AS p
CROSS JOIN (SELECT * FROM emv_unit_values FINAL) AS u
LEFT JOIN (SELECT tenant, campaign_id, reporting_currency FROM campaigns FINAL) AS c
    ON c.tenant = p.tenant AND c.campaign_id = p.campaign_id
LEFT JOIN (SELECT tenant, reporting_currency FROM tenants FINAL) AS t ON t.tenant = p.tenant
WHERE u.tenant IN (p.tenant, '') AND u.platform IN (p.platform, '') AND u.valid_from <= p.day
GROUP BY p.tenant, p.post_id, u.metric;

-- Per post and metric: the reporting currency's worth of one count (NULL: no rate).
CREATE OR REPLACE VIEW v_emv_prices AS
SELECT x.tenant AS tenant, x.post_id AS post_id, x.metric AS metric, x.target AS currency,
       x.unit_value * multiIf(x.currency = x.target, 1.0, tr.rate > 0, tr.rate, gr.rate > 0, gr.rate, NULL) AS price
FROM v_emv_units AS x
ASOF LEFT JOIN (SELECT * FROM v_fx_pairs WHERE tenant != '') AS tr
    ON tr.tenant = x.tenant AND tr.base = x.currency AND tr.quote = x.target AND x.day >= tr.rate_date
ASOF LEFT JOIN (SELECT base, quote, rate_date, rate FROM v_fx_pairs WHERE tenant = '') AS gr
    ON gr.base = x.currency AND gr.quote = x.target AND x.day >= gr.rate_date;

CREATE OR REPLACE VIEW v_curves AS
SELECT tenant, post_id, metric, hour, cumulative, velocity, observed, version
FROM curves FINAL
WHERE metric != 'emv'
UNION ALL
SELECT c.tenant AS tenant, c.post_id AS post_id, 'emv' AS metric, c.hour AS hour,
       if(countIf(e.price IS NULL) > 0, NULL, sum(c.cumulative * e.price)) AS cumulative,
       if(countIf(e.price IS NULL) > 0, NULL, sum(c.velocity * e.price)) AS velocity,
       max(c.observed) AS observed, max(c.version) AS version
FROM (SELECT * FROM curves FINAL WHERE metric IN ('views', 'likes', 'comments', 'shares', 'saves', 'searches')) AS c
INNER JOIN v_emv_prices AS e ON e.tenant = c.tenant AND e.post_id = c.post_id AND e.metric = c.metric
GROUP BY c.tenant, c.post_id, c.hour;
