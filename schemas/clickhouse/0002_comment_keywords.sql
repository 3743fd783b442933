-- 0002 comment keywords as query-time views (DESIGN.md "Comment keywords").
--
-- The worker classifies each comment once (jieba segmentation + the packaged
-- intent and negative lexicons) and stores the result on the comment row.
-- Hourly keyword counts and intent rates are views over comments FINAL, so a
-- replay re-emitting a comment replaces it and cannot double-count. Brand and
-- product terms come from campaigns.brand_terms and are matched in the text at
-- query time, so editing a campaign's lexicon applies to past comments too.
-- The keyword_hours / comment_hours tables of 0001 become these views.

ALTER TABLE comments ADD COLUMN IF NOT EXISTS intent UInt8 DEFAULT 0 COMMENT '1 = purchase intent';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS negative UInt8 DEFAULT 0 COMMENT '1 = negative term';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS intent_terms Array(String) COMMENT 'intent lexicon terms found';
ALTER TABLE comments ADD COLUMN IF NOT EXISTS negative_terms Array(String) COMMENT 'negative lexicon terms found';

DROP TABLE IF EXISTS keyword_hours;
DROP TABLE IF EXISTS comment_hours;

-- Per post and hour (UTC): comments, with intent / negative / brand mentions.
CREATE OR REPLACE VIEW comment_hours AS
SELECT
    c.tenant                                                   AS tenant,
    c.post_id                                                  AS post_id,
    toStartOfHour(c.created_at)                                AS hour,
    toUInt32(count())                                          AS comments,
    toUInt32(countIf(c.intent = 1))                            AS intent_comments,
    toUInt32(countIf(c.negative = 1))                          AS negative_comments,
    toUInt32(countIf(arrayExists(b -> positionCaseInsensitiveUTF8(c.text, b) > 0, k.brand_terms))) AS brand_comments
FROM (SELECT * FROM comments FINAL) AS c
LEFT JOIN
(
    SELECT p.tenant AS tenant, p.post_id AS post_id, m.brand_terms AS brand_terms
    FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p
    LEFT JOIN (SELECT tenant, campaign_id, brand_terms FROM campaigns FINAL) AS m
        ON m.tenant = p.tenant AND m.campaign_id = p.campaign_id
) AS k ON k.tenant = c.tenant AND k.post_id = c.post_id
GROUP BY tenant, post_id, hour;

-- Per post, hour and term: how many comments mention it; kind = brand, intent or negative.
CREATE OR REPLACE VIEW keyword_hours AS
SELECT tenant, post_id, hour, term, kind, toUInt32(count()) AS count
FROM
(
    SELECT
        c.tenant AS tenant,
        c.post_id AS post_id,
        toStartOfHour(c.created_at) AS hour,
        arrayJoin(arrayConcat(
            arrayMap(t -> (t, 'intent'), c.intent_terms),
            arrayMap(t -> (t, 'negative'), c.negative_terms),
            arrayMap(b -> (b, 'brand'), arrayFilter(b -> positionCaseInsensitiveUTF8(c.text, b) > 0, k.brand_terms))
        )) AS hit,
        hit.1 AS term,
        hit.2 AS kind
    FROM (SELECT * FROM comments FINAL) AS c
    LEFT JOIN
    (
        SELECT p.tenant AS tenant, p.post_id AS post_id, m.brand_terms AS brand_terms
        FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p
        LEFT JOIN (SELECT tenant, campaign_id, brand_terms FROM campaigns FINAL) AS m
            ON m.tenant = p.tenant AND m.campaign_id = p.campaign_id
    ) AS k ON k.tenant = c.tenant AND k.post_id = c.post_id
)
GROUP BY tenant, post_id, hour, term, kind;
