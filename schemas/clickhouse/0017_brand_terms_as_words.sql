-- 0017 A campaign's brand term counts as a word, not as any substring.
--
-- comment_hours and keyword_hours (0002) matched each brand and product term
-- anywhere in a comment's text (positionCaseInsensitiveUTF8): a campaign
-- with the brand "MAC" counted "machine learning", "stomach ache" and
-- "macbook" as brand mentions, and "Dior" every "diorama". A term that
-- begins (ends) with a Latin letter or digit now needs no Latin letter or
-- digit right before (after) it, as the comment classifier's words do;
-- Chinese edges match as before ("MAC的口红", "兰蔻小黑瓶", "SK-II神仙水" still
-- count). The term is matched literally (regex characters escaped), case
-- aside.
--
-- comment_hours.brand_comments is NULL when the post's campaign has no brand
-- terms (or the post is not registered yet): nothing was looked for, which
-- 0 would read as "no comment named the brand".
--
-- comment_brand_hits: each comment (FINAL) with its post's campaign brand
-- terms and those it names, read by both views.

CREATE OR REPLACE VIEW comment_brand_hits AS
SELECT
    c.tenant AS tenant, c.post_id AS post_id, c.created_at AS created_at, c.intent AS intent,
    c.negative AS negative, c.intent_terms AS intent_terms, c.negative_terms AS negative_terms,
    k.brand_terms AS brand_terms,
    arrayFilter(b -> match(c.text, concat('(?i)',
        if(match(b, '^[A-Za-z0-9]'), '(?:^|[^A-Za-z0-9])', ''),
        replaceRegexpAll(b, '[\\\\.^$|?*+()\\[\\]{}-]', '\\\\\\0'),
        if(match(b, '[A-Za-z0-9]$'), '(?:[^A-Za-z0-9]|$)', ''))), k.brand_terms) AS brand_hits
FROM (SELECT * FROM comments FINAL) AS c
LEFT JOIN
(
    SELECT p.tenant AS tenant, p.post_id AS post_id, m.brand_terms AS brand_terms
    FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p
    LEFT JOIN (SELECT tenant, campaign_id, brand_terms FROM campaigns FINAL) AS m
        ON m.tenant = p.tenant AND m.campaign_id = p.campaign_id
) AS k ON k.tenant = c.tenant AND k.post_id = c.post_id;

CREATE OR REPLACE VIEW comment_hours AS
SELECT
    tenant,
    post_id,
    toStartOfHour(created_at)                                  AS hour,
    toUInt32(count())                                          AS comments,
    toUInt32(countIf(intent = 1))                              AS intent_comments,
    toUInt32(countIf(negative = 1))                            AS negative_comments,
    if(empty(any(brand_terms)), NULL, toUInt32(countIf(notEmpty(brand_hits))))  AS brand_comments
FROM comment_brand_hits
GROUP BY tenant, post_id, hour;

CREATE OR REPLACE VIEW keyword_hours AS
SELECT tenant, post_id, hour, term, kind, toUInt32(count()) AS count
FROM
(
    SELECT
        tenant,
        post_id,
        toStartOfHour(created_at) AS hour,
        arrayJoin(arrayConcat(
            arrayMap(t -> (t, 'intent'), intent_terms),
            arrayMap(t -> (t, 'negative'), negative_terms),
            arrayMap(b -> (b, 'brand'), brand_hits)
        )) AS hit,
        hit.1 AS term,
        hit.2 AS kind
    FROM comment_brand_hits
)
GROUP BY tenant, post_id, hour, term, kind;
