-- 0020 v_money lists the money the ROI views count.
--
-- A post deleted from the registry leaves every ROI figure (v_post_context
-- excludes tombstones), but its cost lines, heating nodes and orders stay in
-- their tables, and v_money listed them under the campaign they named: the
-- campaign's amounts in this audit trail summed to more than its spend in
-- v_roi_campaign, and when some amount lacked an FX rate, `tracker roi` and
-- the report, which name the missing pairs from v_money, also asked for the
-- rates of the deleted post's amounts, which no figure needs. v_money now
-- leaves out the lines of a post that is not registered; lines of no post
-- (campaign-level money) stay. Otherwise as 0003 left it.

CREATE OR REPLACE VIEW v_money SQL SECURITY INVOKER AS
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
        WHERE m.post_id = '' OR p.post_id != ''
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
